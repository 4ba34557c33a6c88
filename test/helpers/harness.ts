import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import twilio from 'twilio';
import { loadConfig, type Config, type Env } from '../../src/config';
import { exponentialBackoff, type RetryPolicy } from '../../src/delivery/retry-policy';
import { startFakeTwilioApi, type FakeTwilioApi } from '../../src/embedded/fake-twilio-api';
import { startLocalSmtpServer, type LocalSmtpServer } from '../../src/embedded/local-smtp-server';
import { createLogger } from '../../src/observability/logger';
import { createService, type Service, type ServiceOptions } from '../../src/service';
import type { WebhookOverview } from '../../src/whatsapp/overview';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { signPayload } from '../../src/whatsapp/sign';
import { freshSchema } from './postgres/test-schema';
import type { StoreLocation } from './store-reader';

export const ACCOUNT = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'f'.repeat(32) };
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
/** What Meta's dashboard was given: the verify token, and the app secret that signs events. */
export const META = { verifyToken: 'verify-token-for-tests', appSecret: 'meta-app-secret-for-tests-0123' };
/** What Twilio was told to call: signatures are made for it, requests go to the local listener. */
export const PUBLIC_URL = 'https://onboard.example.com';
export const OUR_NUMBER = '+15005550006';
export const META_CALLER = '+16505550100';

/** Retries in milliseconds, so failure tests run quickly. */
export const FAST_RETRY: RetryPolicy = exponentialBackoff({ baseMs: 30, maxMs: 200, maxAttempts: 8 });

export interface Harness {
  service: Service;
  config: Config;
  /** The environment the service was configured from: what the command reads too. */
  env: Env;
  url: string;
  smtp: LocalSmtpServer;
  twilioApi: FakeTwilioApi;
  dataDir: string;
  /** Where the service keeps its data, for reading it directly (see store-reader.ts). */
  store: StoreLocation;
  /** Every log line the service wrote, as raw JSON text. */
  logs: string[];
  /** A POST to `/webhooks/whatsapp` of `body` as given, signed with Meta's app secret unless told otherwise. */
  metaPost(body: Buffer | string, options?: MetaPostOptions): Promise<Response>;
  /** `GET /api/webhook`. */
  webhookOverview(): Promise<WebhookOverview>;
  /** `GET /api/events`, newest first. */
  events(limit?: number): Promise<WhatsAppEvent[]>;
  /** A POST to `/twilio/...` signed the way Twilio signs it. */
  twilioPost(pathAndQuery: string, params: Record<string, string>): Promise<Response>;
  codes(): Promise<Array<{ code: string; source: string; deliveries: Array<{ channel: string; status: string; attempts: number; error: string | null }> }>>;
  /** Stops the service only (the parts stay up), as a crash or a deploy would. */
  stopService(): Promise<void>;
  /**
   * Starts the service again on the same data folder (and database); `env` changes settings for it
   * and what follows (a target added to FORWARD_URL, say), as an operator's restart would.
   */
  restartService(changes?: { env?: Env }): Promise<void>;
  close(): Promise<void>;
}

export interface MetaPostOptions {
  /** The X-Hub-Signature-256 header as sent; null sends none. Default: signed with META.appSecret. */
  signature?: string | null;
  contentType?: string;
  /** More headers to send (a rehearsal mark, say). */
  headers?: Record<string, string>;
}

export interface HarnessOptions {
  env?: Env;
  retry?: RetryPolicy;
  dataDir?: string;
  smtp?: LocalSmtpServer;
  twilioApi?: FakeTwilioApi;
  missedCallDeadlineMs?: number;
  onEvent?: ServiceOptions['onEvent'];
  clock?: ServiceOptions['clock'];
  forwardBackoffMs?: ServiceOptions['forwardBackoffMs'];
  forwardTimeoutMs?: number;
  /** How failed sign-ins to the operator page are slowed (default: waits of a few milliseconds). */
  loginThrottle?: ServiceOptions['loginThrottle'];
  /** The port to listen on (default: any free one); with PUBLIC_URL set to it, the service is reachable at its public URL. */
  port?: number;
  /** Keep everything in a fresh schema of the test run's PostgreSQL (DATABASE_URL) instead of SQLite. */
  postgres?: boolean;
  /** Claims' lease (default 30 s). */
  leaseMs?: number;
  /** How often idle workers look for work without a wake-up (default 50 ms). */
  pollMs?: number;
  /** How long a client may take to send a request (default: the service's own deadlines). */
  requestDeadlines?: ServiceOptions['requestDeadlines'];
}

/** The real service with its real parts on loopback: SQLite in a temp folder, SMTP, Twilio's API. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-test-'));
  // WA_ONBOARD_TEST_STORE=postgres runs every harness test on PostgreSQL (a check of the adapter).
  const onPostgres = options.postgres ?? process.env.WA_ONBOARD_TEST_STORE === 'postgres';
  const schema = onPostgres && !options.env?.DATABASE_URL ? await freshSchema() : undefined;
  const smtp = options.smtp ?? (await startLocalSmtpServer());
  const twilioApi = options.twilioApi ?? (await startFakeTwilioApi(ACCOUNT));
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const env: Env = {
    NODE_ENV: 'production',
    PUBLIC_URL,
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    TWILIO_ACCOUNT_SID: ACCOUNT.accountSid,
    TWILIO_AUTH_TOKEN: ACCOUNT.authToken,
    TWILIO_PHONE_NUMBER: OUR_NUMBER,
    TWILIO_API_BASE_URL: twilioApi.url,
    NOTIFY_EMAIL_TO: 'team@example.com',
    NOTIFY_SMS_TO: '+15005550001',
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'wa-onboard <onboard@example.com>',
    LOG_LEVEL: 'trace',
    WHATSAPP_VERIFY_TOKEN: META.verifyToken,
    WHATSAPP_APP_SECRET: META.appSecret,
    ...(schema ? { DATABASE_URL: schema.url } : {}),
    ...options.env,
  };
  const configOf = (settings: Env) =>
    loadConfig(settings, () => {
      throw new Error('tests set every secret');
    }).config;
  let settings = { env, config: configOf(env) };
  const start = async () => {
    const { config } = settings;
    const service = await createService(config, {
      logger: createLogger({ level: config.logLevel, destination }),
      clock: options.clock,
      retry: options.retry ?? FAST_RETRY,
      pollMs: options.pollMs ?? 50,
      missedCallDeadlineMs: options.missedCallDeadlineMs,
      onEvent: options.onEvent,
      // Forwarding retries in milliseconds too.
      forwardBackoffMs: options.forwardBackoffMs ?? ((attempt) => Math.min(200, 20 * 2 ** attempt)),
      forwardTimeoutMs: options.forwardTimeoutMs,
      loginThrottle: options.loginThrottle ?? { baseDelayMs: 5, maxDelayMs: 20 },
      leaseMs: options.leaseMs,
      requestDeadlines: options.requestDeadlines,
    });
    try {
      const { url } = await service.listen(options.port ?? 0, '127.0.0.1');
      return { service, url };
    } catch (error) {
      await service.close();
      throw error;
    }
  };
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start();
  } catch (error) {
    // The port may have been taken (the caller then tries another): leave nothing of ours open.
    await Promise.all([options.smtp ? undefined : smtp.close(), options.twilioApi ? undefined : twilioApi.close(), schema?.drop()]);
    if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const harness: Harness = {
    get service() {
      return running.service;
    },
    get url() {
      return running.url;
    },
    get config() {
      return settings.config;
    },
    get env() {
      return settings.env;
    },
    smtp,
    twilioApi,
    dataDir,
    store: { dataDir, databaseUrl: env.DATABASE_URL },
    logs,
    twilioPost: (pathAndQuery, params) =>
      fetch(running.url + pathAndQuery, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(ACCOUNT.authToken, PUBLIC_URL + pathAndQuery, params),
        },
        body: new URLSearchParams(params).toString(),
      }),
    metaPost: (body, postOptions = {}) => {
      const signature = postOptions.signature === undefined ? signPayload(META.appSecret, body) : postOptions.signature;
      return fetch(`${running.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: {
          'content-type': postOptions.contentType ?? 'application/json',
          ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
          ...postOptions.headers,
        },
        body,
      });
    },
    async webhookOverview() {
      const res = await fetch(`${running.url}/api/webhook`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return (await res.json()) as WebhookOverview;
    },
    async events(limit = 500) {
      const res = await fetch(`${running.url}/api/events?limit=${limit}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return ((await res.json()) as { events: WhatsAppEvent[] }).events;
    },
    async codes() {
      const res = await fetch(`${running.url}/api/codes`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return ((await res.json()) as { codes: Awaited<ReturnType<Harness['codes']>> }).codes;
    },
    stopService: () => running.service.close(),
    async restartService(changes = {}) {
      if (changes.env) {
        const changed = { ...settings.env, ...changes.env };
        settings = { env: changed, config: configOf(changed) };
      }
      running = await start();
    },
    async close() {
      await running.service.close().catch(() => undefined);
      await Promise.all([smtp.close(), twilioApi.close(), schema?.drop()]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The parameters Twilio sends with every request of a call. */
export function callParams(callSid: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CallSid: callSid,
    AccountSid: ACCOUNT.accountSid,
    From: META_CALLER,
    To: OUR_NUMBER,
    CallStatus: 'in-progress',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
    ...extra,
  };
}

/** Polls `check` until it returns a value, for state that settles in the background. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
