import fs from 'node:fs';
import path from 'node:path';
import { runCommand } from '../helpers/cli';
import { META_IDS, startWorld, type World } from '../helpers/cli-world';
import { simulateTwilioCall } from '../../src/embedded/simulated-twilio-call';
import { ACCOUNT, META, META_CALLER, OUR_NUMBER } from '../helpers/harness';
import type { StepReport } from '../../src/meta/run-onboarding';

interface VerifyResult {
  ok: boolean;
  steps: StepReport[];
}

const posts = (world: World, suffix: string) => world.graph.requests.filter((r) => r.method === 'POST' && r.path.endsWith(suffix));

describe('wa-onboard meta verify', () => {
  let world: World;
  afterEach(() => world.close());

  it('runs the whole loop: requests a voice call, sends Meta the code the service heard, registers, subscribes and reports CONNECTED', async () => {
    world = await startWorld({ graph: { pollsUntilConnected: 2 } });
    const run = await runCommand(['meta', 'verify', '--json', '--pin', '246810', '--timeout', '20', '--connect-timeout', '20'], world.env);
    const result = run.json<VerifyResult>();

    expect({ code: run.code, ok: result.ok }).toEqual({ code: 0, ok: true });
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['add-number', 'skipped'],
      ['request-code', 'done'],
      ['wait-for-code', 'done'],
      ['verify-code', 'done'],
      ['register', 'done'],
      ['subscribe-app', 'done'],
      ['set-webhook', 'done'],
      ['wait-connected', 'done'],
    ]);
    const phone = world.graph.phoneNumbers[0];
    // The code Meta's robot spoke is exactly the one sent back, and it came through the service.
    expect(posts(world, '/request_code')[0]?.body).toMatchObject({ code_method: 'VOICE', language: 'en_US' });
    expect(posts(world, '/verify_code').map((r) => r.body.code)).toEqual([phone?.code]);
    expect((await world.service.codes())[0]?.code).toBe(phone?.code);
    expect(posts(world, '/register')[0]?.body).toEqual({ messaging_product: 'whatsapp', pin: '246810' });
    expect(world.graph.subscribedApps).toEqual([META_IDS.appId]);
    expect(world.graph.appSubscriptions).toEqual([
      expect.objectContaining({ object: 'whatsapp_business_account', callback_url: `${world.publicUrl}/webhooks/whatsapp`, fields: ['messages'] }) as unknown,
    ]);
    expect(result.steps.at(-1)?.detail).toContain('status CONNECTED');
    // Meta's subscription check reached the service with our verify token.
    expect((await world.service.webhookOverview()).lastVerifiedAt).not.toBeNull();
  });

  it('shows each step as it ends, and never the code; the generated PIN goes to a private file, and on screen only on a terminal', async () => {
    world = await startWorld();
    const run = await runCommand(['meta', 'verify', '--timeout', '20', '--connect-timeout', '20'], world.env);
    const phone = world.graph.phoneNumbers[0];
    const pinFile = path.join(world.service.dataDir, 'two-step-pin-15005550006.txt');

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ request-code: Meta is calling \+15005550006 \(voice, en_US\)/);
    expect(run.stdout).toMatch(/✓ wait-for-code: heard a 6-digit code by speech/);
    expect(run.stdout).toMatch(/✓ wait-connected: status CONNECTED/);
    expect(run.stdout).not.toContain(phone?.code ?? 'no code');
    expect(run.stderr).toContain("waiting for Meta's call to +15005550006");
    // Not a terminal (a CI log): the PIN is in the file, not in the output.
    expect(phone?.pin).toMatch(/^\d{6}$/);
    expect(run.stdout).not.toContain(phone?.pin ?? 'no pin');
    expect(run.stdout).toContain(`written to ${pinFile}`);
    expect(fs.readFileSync(pinFile, 'utf8')).toBe(`${phone?.pin}\n`);
    expect(fs.statSync(pinFile).mode & 0o777).toBe(0o600);
  });

  it('shows a generated PIN once on a terminal', async () => {
    world = await startWorld();
    const run = await runCommand(['meta', 'verify', '--timeout', '20', '--connect-timeout', '20'], world.env, { tty: true });
    const pin = world.graph.phoneNumbers[0]?.pin ?? 'no pin';

    expect(run.code).toBe(0);
    expect(run.stdout.split(pin).length - 1).toBe(1);
  });

  it('is safe to run again: every step already done is reported and skipped, and no call or registration is spent', async () => {
    world = await startWorld();
    expect((await runCommand(['meta', 'verify', '--timeout', '20', '--connect-timeout', '20'], world.env)).code).toBe(0);
    const again = await runCommand(['meta', 'verify', '--json', '--timeout', '20'], world.env);

    expect(again.code).toBe(0);
    expect(again.json<VerifyResult>().steps.map((s) => s.status)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'done',
    ]);
    expect(posts(world, '/request_code')).toHaveLength(1);
    expect(posts(world, '/register')).toHaveLength(1);
  });

  it('explains Graph error 136024 on request_code with the catalog, stops, and says how to resume', async () => {
    world = await startWorld();
    world.graph.failNext('request_code', { code: 136024, message: 'Request code error', details: 'Phone number verification request failed.' });
    const run = await runCommand(['meta', 'verify', '--timeout', '5'], world.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ request-code: Meta refused POST \/106540352242922\/request_code: Request code error \(code 136024\)/);
    expect(run.stdout).toMatch(/meaning: .*verification code/i);
    expect(run.stdout).toContain('resume with: wa-onboard meta verify --from request-code');
    expect(posts(world, '/verify_code')).toHaveLength(0);
  });

  it('explains Graph error 133016 (too many registrations) at register', async () => {
    world = await startWorld();
    world.graph.failNext('register', { code: 133016, message: 'Account register deregister rate limit exceeded' });
    const run = await runCommand(['meta', 'verify', '--json', '--timeout', '20'], world.env);
    const failed = run.json<VerifyResult>().steps.at(-1);

    expect(run.code).toBe(1);
    expect(failed).toMatchObject({ name: 'register', status: 'failed', graph: { code: 133016 } });
    expect(failed?.graph?.meaning).toMatch(/72 hours|too many/i);
    expect(failed?.fix).toBeTruthy();
  });

  it('explains Graph error 190 (a bad token) before anything is requested', async () => {
    world = await startWorld({ env: { META_ACCESS_TOKEN: 'EAAG-expired-token-000000000000' } });
    const run = await runCommand(['meta', 'verify', '--timeout', '5'], world.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/code 190/);
    expect(run.stdout).toMatch(/fix: .*token/i);
    expect(posts(world, '/request_code')).toHaveLength(0);
  });

  it('gives up on the code after --timeout and says how to go on with a code from elsewhere', async () => {
    world = await startWorld({ robotSays: () => 'Hello, this is a call with no numbers in it.' });
    const run = await runCommand(['meta', 'verify', '--json', '--timeout', '2'], world.env);
    const failed = run.json<VerifyResult>().steps.at(-1);

    expect(run.code).toBe(1);
    expect(failed).toMatchObject({ name: 'wait-for-code', status: 'failed' });
    expect(failed?.fix).toContain('--from verify-code --code');
    expect(posts(world, '/verify_code')).toHaveLength(0);
  });

  it('adds the number to the WABA with --verified-name when Meta does not list it there', async () => {
    world = await startWorld({ graph: { phoneNumbers: [] }, env: { META_PHONE_NUMBER_ID: '' } });
    const added = await runCommand(['meta', 'verify', '--verified-name', 'Onboard Test', '--timeout', '20'], world.env);
    expect(added.code).toBe(0);
    expect(posts(world, '/phone_numbers')[0]?.body).toMatchObject({ cc: '1', phone_number: '5005550006', verified_name: 'Onboard Test' });
    expect(added.stdout).toMatch(/✓ add-number: added to WABA 102290129340398 as phone number id \d+/);
  });

  it('takes a code given with --code without waiting for a call', async () => {
    world = await startWorld({ graph: { onVoiceCall: () => Promise.resolve() } });
    // A code requested earlier, heard by someone: Meta issued it, the operator types it in.
    const phoneId = META_IDS.phoneNumberId;
    const first = await runCommand(['meta', 'verify', '--json', '--timeout', '1'], world.env);
    expect(first.code).toBe(1);
    const issued = world.graph.phoneNumbers[0]?.code ?? '';
    const resumed = await runCommand(['meta', 'verify', '--json', '--from', 'verify-code', '--code', issued], world.env);

    expect(resumed.code).toBe(0);
    expect(resumed.json<VerifyResult>().steps[0]).toMatchObject({ name: 'verify-code', status: 'done', detail: 'Meta accepted the code given with --code' });
    expect(posts(world, '/verify_code').map((r) => [r.path, r.body.code])).toEqual([[`/${phoneId}/verify_code`, issued]]);
  });

  it('sets a per-number override with --webhook number, checked by Meta against the service', async () => {
    world = await startWorld();
    const run = await runCommand(['meta', 'verify', '--webhook', 'number', '--timeout', '20'], world.env);

    expect(run.code).toBe(0);
    expect(world.graph.phoneNumbers[0]?.webhookOverride).toEqual({ callbackUri: `${world.publicUrl}/webhooks/whatsapp`, verifyToken: META.verifyToken });
    expect(world.graph.appSubscriptions).toEqual([]);
    expect(run.stdout).toContain("template, quality and account updates still go to the app's URL");
    expect((await world.service.webhookOverview()).lastVerifiedAt).not.toBeNull();
  });

  it('says which setting is missing when META_ACCESS_TOKEN is not set', async () => {
    world = await startWorld({ env: { META_ACCESS_TOKEN: '' } });
    const run = await runCommand(['meta', 'verify'], world.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('META_ACCESS_TOKEN is not set');
    expect(world.graph.requests).toHaveLength(0);
  });

  describe('never spends a call or a registration it does not need', () => {
    it('asks no code of a registered number whose code Meta reports EXPIRED', async () => {
      world = await startWorld({ graph: { phoneNumbers: [{ id: META_IDS.phoneNumberId, displayPhoneNumber: '+1 500-555-0006', codeVerificationStatus: 'EXPIRED', status: 'CONNECTED' }] } });
      const run = await runCommand(['meta', 'verify', '--json', '--timeout', '5'], world.env);

      expect(run.code).toBe(0);
      expect(posts(world, '/request_code')).toEqual([]);
      expect(posts(world, '/verify_code')).toEqual([]);
      expect(posts(world, '/register')).toEqual([]);
    });

    it('does not register a FLAGGED number again (a guessed PIN fails and counts against the 10 per 72 hours)', async () => {
      world = await startWorld({ graph: { phoneNumbers: [{ id: META_IDS.phoneNumberId, displayPhoneNumber: '+1 500-555-0006', codeVerificationStatus: 'VERIFIED', status: 'FLAGGED' }] } });
      const run = await runCommand(['meta', 'verify', '--json', '--timeout', '5', '--connect-timeout', '1'], world.env);
      const steps = run.json<VerifyResult>().steps;

      expect(steps.find((s) => s.name === 'register')).toMatchObject({ status: 'skipped', detail: 'already registered (status FLAGGED)' });
      expect(steps.at(-1)).toMatchObject({ name: 'wait-connected', status: 'failed', detail: expect.stringContaining('still FLAGGED') as string });
      expect(posts(world, '/register')).toEqual([]);
    });

    it('asks for the PIN of a DISCONNECTED number instead of inventing one', async () => {
      world = await startWorld({ graph: { phoneNumbers: [{ id: META_IDS.phoneNumberId, displayPhoneNumber: '+1 500-555-0006', codeVerificationStatus: 'VERIFIED', status: 'DISCONNECTED' }] } });
      const run = await runCommand(['meta', 'verify', '--json', '--timeout', '5'], world.env);

      expect(run.code).toBe(1);
      expect(run.json<VerifyResult>().steps.at(-1)).toMatchObject({ name: 'register', status: 'failed', fix: expect.stringContaining('--pin') as string });
      expect(posts(world, '/register')).toEqual([]);
    });

    it("refuses to request a call that would not reach the service: the number's voice URL points elsewhere", async () => {
      world = await startWorld({ number: { voiceUrl: 'https://twimlets.com/voicemail?Email=team@example.com' } });
      const run = await runCommand(['meta', 'verify', '--json', '--timeout', '5'], world.env);

      expect(run.code).toBe(1);
      expect(run.json<VerifyResult>().steps.at(-1)).toMatchObject({ name: 'request-code', status: 'failed', fix: expect.stringContaining('wa-onboard twilio connect') as string });
      expect(posts(world, '/request_code')).toEqual([]);
    });

    it('refuses to start without META_WABA_ID, which a later step needs, before anything is asked of Meta', async () => {
      world = await startWorld({ env: { META_WABA_ID: '' } });
      const run = await runCommand(['meta', 'verify'], world.env);

      expect(run.code).toBe(1);
      expect(run.stdout).toContain('META_WABA_ID is not set');
      expect(world.graph.requests).toEqual([]);
    });

    it('refuses a --language the service does not listen in, before anything is asked of Meta', async () => {
      world = await startWorld();
      const run = await runCommand(['meta', 'verify', '--language', 'pt_BR'], world.env);

      expect(run.code).toBe(1);
      expect(run.stdout).toContain('Meta would speak pt_BR, but the service listens in en-US');
      expect(world.graph.requests).toEqual([]);
    });
  });

  describe('takes only the code of this request', () => {
    it('ignores a rehearsal (simulate call) heard during the wait, and sends Meta the code of its call', async () => {
      world = await startWorld({
        graph: {
          onVoiceCall: async ({ code }) => {
            expect((await runCommand(['simulate', 'call', '--digits', '333444'], world.env)).code).toBe(0);
            await simulateTwilioCall({ serviceUrl: world.publicUrl, publicUrl: world.publicUrl, ...ACCOUNT, from: META_CALLER, to: OUR_NUMBER, speech: `Your code is ${[...code].join(' ')}` });
          },
        },
      });
      const run = await runCommand(['meta', 'verify', '--timeout', '20', '--connect-timeout', '20'], world.env);

      expect(run.code).toBe(0);
      expect(posts(world, '/verify_code').map((r) => r.body.code)).toEqual([world.graph.phoneNumbers[0]?.code]);
      expect(world.graph.phoneNumbers[0]?.code).not.toBe('333444');
    });

    it('does not send a rehearsal code when resuming at verify-code without --code', async () => {
      world = await startWorld();
      await runCommand(['simulate', 'call', '--digits', '333444'], world.env);
      const run = await runCommand(['meta', 'verify', '--json', '--from', 'verify-code'], world.env);

      expect(run.code).toBe(1);
      expect(run.json<VerifyResult>().steps[0]).toMatchObject({ name: 'verify-code', status: 'failed', detail: expect.stringContaining('no code to send') as string });
      expect(posts(world, '/verify_code')).toEqual([]);
    });

    it('resumed at wait-for-code, takes a code heard after the previous run gave up', async () => {
      world = await startWorld({
        graph: {
          onVoiceCall: async ({ code }) => {
            // A late call: the transcript route, or a slow robot.
            await new Promise((resolve) => setTimeout(resolve, 1500));
            await simulateTwilioCall({ serviceUrl: world.publicUrl, publicUrl: world.publicUrl, ...ACCOUNT, from: META_CALLER, to: OUR_NUMBER, speech: `Your code is ${[...code].join(' ')}` });
          },
        },
      });
      const first = await runCommand(['meta', 'verify', '--timeout', '1'], world.env);
      expect(first.code).toBe(1);
      expect(first.stdout).toContain('--from wait-for-code');
      await world.graph.waitForRobot();
      const resumed = await runCommand(['meta', 'verify', '--from', 'wait-for-code', '--timeout', '5', '--connect-timeout', '20'], world.env);

      expect(resumed.code).toBe(0);
      expect(posts(world, '/request_code')).toHaveLength(1);
      expect(posts(world, '/verify_code').map((r) => r.body.code)).toEqual([world.graph.phoneNumbers[0]?.code]);
    });
  });

  describe("the app's webhook", () => {
    it('is not moved from another URL without --force (it serves every WABA of the app)', async () => {
      world = await startWorld();
      world.graph.appSubscriptions.push({ object: 'whatsapp_business_account', callback_url: 'https://other-team.example.com/hook', fields: ['messages', 'account_update'], active: true });
      const refused = await runCommand(['meta', 'verify', '--json', '--from', 'set-webhook'], world.env);

      expect(refused.code).toBe(1);
      expect(refused.json<VerifyResult>().steps[0]).toMatchObject({ name: 'set-webhook', status: 'failed', fix: expect.stringContaining('--webhook number') as string });
      expect(world.graph.appSubscriptions[0]?.callback_url).toBe('https://other-team.example.com/hook');

      const moved = await runCommand(['meta', 'verify', '--from', 'set-webhook', '--force', '--connect-timeout', '1'], world.env);
      expect(moved.stdout).toMatch(/✓ set-webhook: app \d+ now sends messages, account_update here/);
      expect(world.graph.appSubscriptions[0]).toMatchObject({ callback_url: `${world.publicUrl}/webhooks/whatsapp`, fields: ['messages', 'account_update'] });
    });

    it("fails when a number override sends the events elsewhere, since the override wins over the app's URL", async () => {
      world = await startWorld();
      const phone = world.graph.phoneNumbers[0];
      if (phone) phone.webhookOverride = { callbackUri: 'https://old.example.com/hook', verifyToken: 'x' };
      const run = await runCommand(['meta', 'verify', '--json', '--from', 'set-webhook'], world.env);

      expect(run.code).toBe(1);
      expect(run.json<VerifyResult>().steps[0]).toMatchObject({ name: 'set-webhook', status: 'failed', detail: expect.stringContaining('https://old.example.com/hook') as string });
    });
  });
});
