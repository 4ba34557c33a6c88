import { runCommand } from '../helpers/cli';
import { META_IDS, startWorld, type World } from '../helpers/cli-world';
import { eventually } from '../helpers/harness';
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

  it('shows each step as it ends, the generated PIN once, and never the code', async () => {
    world = await startWorld();
    const run = await runCommand(['meta', 'verify', '--timeout', '20', '--connect-timeout', '20'], world.env);
    const phone = world.graph.phoneNumbers[0];

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ request-code: Meta is calling \+15005550006 \(voice, en_US\)/);
    expect(run.stdout).toMatch(/✓ wait-for-code: heard a 6-digit code by speech/);
    expect(run.stdout).toMatch(/✓ wait-connected: status CONNECTED/);
    expect(phone?.pin).toMatch(/^\d{6}$/);
    expect(run.stdout.split(phone?.pin ?? '').length - 1).toBe(1);
    expect(run.stdout).not.toContain(phone?.code ?? 'no code');
    expect(run.stderr).toContain("waiting for Meta's call to +15005550006");
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
    await eventually(() => world.graph.phoneNumbers[0]?.webhookOverride ?? undefined);
    expect(world.graph.phoneNumbers[0]?.webhookOverride?.callbackUri).toBe(`${world.publicUrl}/webhooks/whatsapp`);
  });

  it('says which setting is missing when META_ACCESS_TOKEN is not set', async () => {
    world = await startWorld({ env: { META_ACCESS_TOKEN: '' } });
    const run = await runCommand(['meta', 'verify'], world.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('META_ACCESS_TOKEN is not set');
    expect(world.graph.requests).toHaveLength(0);
  });
});
