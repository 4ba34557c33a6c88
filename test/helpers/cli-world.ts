import type { Env } from '../../src/config';
import { startFakeTwilioApi, type FakeNumberSeed, type FakeTwilioApi } from '../../src/embedded/fake-twilio-api';
import { onFreePort } from '../../src/embedded/free-port';
import { simulateTwilioCall } from '../../src/embedded/simulated-twilio-call';
import { startFakeGraphApi, type FakeGraphApi, type FakeGraphOptions } from './fake-graph-api';
import { ACCOUNT, META, META_CALLER, OUR_NUMBER, startHarness, type Harness, type HarnessOptions } from './harness';

/** Meta's ids for the team in these tests. */
export const META_IDS = {
  accessToken: 'EAAG-system-user-token-for-tests-0123456789',
  appId: '1234567890123',
  wabaId: '102290129340398',
  phoneNumberId: '106540352242922',
  version: 'v26.0',
};

export interface WorldOptions {
  /** The Twilio number as the fake account holds it (default: pointed at the service). */
  number?: Partial<FakeNumberSeed> | null;
  graph?: Partial<FakeGraphOptions>;
  env?: Env;
  harness?: Partial<HarnessOptions>;
  /** What Meta's robot says, given the code; default "Your WhatsApp code is 1 2 3 4 5 6", twice. */
  robotSays?: (code: string) => string;
}

/** Everything the command meets in production, on loopback: the service, Twilio's API, Meta's Graph API. */
export interface World {
  service: Harness;
  twilioApi: FakeTwilioApi;
  graph: FakeGraphApi;
  /** The environment the command runs with: the service's own, plus Meta's settings. */
  env: Env;
  publicUrl: string;
  close(): Promise<void>;
}

/**
 * Starts a deployment whose PUBLIC_URL is its loopback listener, so the command reaches it as it
 * would from outside, and a Graph API whose `request_code` plays Meta's robot: it calls the
 * service's voice URL, signed as Twilio signs, and speaks the code into the Gather.
 */
export function startWorld(options: WorldOptions = {}): Promise<World> {
  return onFreePort((port) => startWorldOn(port, options));
}

async function startWorldOn(port: number, options: WorldOptions): Promise<World> {
  const publicUrl = `http://127.0.0.1:${port}`;
  const twilioApi = await startFakeTwilioApi(ACCOUNT, {
    numbers: options.number === null ? [] : [{ phoneNumber: OUR_NUMBER, voiceUrl: `${publicUrl}/twilio/voice`, ...options.number }],
  });
  const robotSays = options.robotSays ?? ((code: string) => `Your WhatsApp code is ${[...code].join(' ')}. Again, ${[...code].join(' ')}.`);
  const graph = await startFakeGraphApi({
    version: META_IDS.version,
    accessToken: META_IDS.accessToken,
    appId: META_IDS.appId,
    appSecret: META.appSecret,
    wabaId: META_IDS.wabaId,
    phoneNumbers: [{ id: META_IDS.phoneNumberId, displayPhoneNumber: '+1 500-555-0006', verifiedName: 'Onboard Test' }],
    onVoiceCall: async ({ code }) => {
      await simulateTwilioCall({ serviceUrl: publicUrl, publicUrl, ...ACCOUNT, from: META_CALLER, to: OUR_NUMBER, speech: robotSays(code) });
    },
    ...options.graph,
  });
  const metaEnv: Env = {
    META_ACCESS_TOKEN: META_IDS.accessToken,
    META_APP_ID: META_IDS.appId,
    META_WABA_ID: META_IDS.wabaId,
    META_PHONE_NUMBER_ID: META_IDS.phoneNumberId,
    META_GRAPH_URL: graph.url,
    META_GRAPH_VERSION: META_IDS.version,
  };
  const service = await startHarness({ twilioApi, port, ...options.harness, env: { PUBLIC_URL: publicUrl, ...options.env } }).catch(
    async (error: unknown) => {
      await Promise.all([twilioApi.close(), graph.close()]);
      throw error;
    },
  );
  return {
    service,
    twilioApi,
    graph,
    env: { ...service.env, ...metaEnv, ...options.env },
    publicUrl,
    async close() {
      await graph.waitForRobot().catch(() => undefined);
      await service.close();
      await graph.close();
    },
  };
}
