import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { CheckResult } from '../../src/cli/doctor/check';
import { runCommand } from '../helpers/cli';
import { META_IDS, startWorld, type World } from '../helpers/cli-world';
import { operatorPage } from '../helpers/operator-page';

interface DoctorResult {
  ok: boolean;
  checks: CheckResult[];
}

/** A deployment Meta has finished with: the number CONNECTED, the app subscribed, the webhook here. */
async function healthyWorld(options: Parameters<typeof startWorld>[0] = {}): Promise<World> {
  const world = await startWorld({
    ...options,
    graph: {
      phoneNumbers: [{ id: META_IDS.phoneNumberId, displayPhoneNumber: '+1 500-555-0006', codeVerificationStatus: 'VERIFIED', status: 'CONNECTED' }],
      ...options.graph,
    },
  });
  world.graph.subscribedApps.push(META_IDS.appId);
  world.graph.appSubscriptions.push({ object: 'whatsapp_business_account', callback_url: `${world.publicUrl}/webhooks/whatsapp`, fields: ['messages'], active: true });
  return world;
}

async function doctor(env: World['env']): Promise<{ code: number; result: DoctorResult; check: (id: string) => CheckResult | undefined }> {
  const run = await runCommand(['doctor', '--json'], env);
  const result = run.json<DoctorResult>();
  return { code: run.code, result, check: (id) => result.checks.find((c) => c.id === id) };
}

/** An SMTP server that refuses every login, as a provider does with a wrong password. */
async function refusingSmtp(): Promise<{ url: string; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth: (_auth, _session, callback) => callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 })),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://onboard:wrong-password@127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('wa-onboard doctor', () => {
  let world: World;
  afterEach(() => world.close());

  it('passes every check of a healthy deployment, and exits 0', async () => {
    world = await healthyWorld();
    const { code, result } = await doctor(world.env);

    expect(result.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(result.checks.map((c) => c.id)).toEqual([
      'config',
      'twilio-credentials',
      'twilio-number',
      'twilio-voice-url',
      'sms-sender',
      'smtp-login',
      'healthz',
      'voice-signature',
      'webhook-challenge',
      'webhook-signature',
      'meta-token',
      'meta-number',
      'meta-webhook',
      'meta-subscription',
    ]);
    expect({ code, ok: result.ok }).toEqual({ code: 0, ok: true });
  });

  it('rehearses the voice answer without leaving a call: no code, no missed-call notice', async () => {
    world = await healthyWorld();
    const { check } = await doctor(world.env);

    expect(check('voice-signature')).toMatchObject({ status: 'pass', detail: expect.stringContaining('TwiML with <Gather input="dtmf speech">') as string });
    expect(await world.service.codes()).toEqual([]);
    expect(await world.service.service.calls.nextDeliveryDueAt()).toBeNull();
  });

  it("rehearses Meta's check and a signed POST without passing for Meta: the page still waits for Meta's verification", async () => {
    world = await healthyWorld();
    const { check } = await doctor(world.env);

    expect([check('webhook-challenge')?.status, check('webhook-signature')?.status]).toEqual(['pass', 'pass']);
    const overview = await world.service.webhookOverview();
    expect(overview.lastVerifiedAt).toBeNull();
    expect(overview.rehearsals).toMatchObject({ lastVerifiedAt: expect.any(String) as unknown, posts: 1 });
    expect(overview.counts).toMatchObject({ stored: 0, dispatched: 0 });
    const page = await operatorPage(world.service);
    expect(page).not.toContain('Meta verified the callback URL.');
    expect(page).toContain('<dt>Last verified by Meta</dt><dd>never</dd>');
    expect(page).toContain('A rehearsal (wa-onboard doctor) got the challenge back');
  });

  it("names a wrong voice URL and says to run `twilio connect`", async () => {
    world = await healthyWorld({ number: { voiceUrl: 'https://twimlets.com/voicemail?Email=team@example.com' } });
    const { code, check } = await doctor(world.env);

    expect(code).toBe(1);
    expect(check('twilio-voice-url')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('https://twimlets.com/voicemail') as string,
      fix: expect.stringContaining('wa-onboard twilio connect') as string,
    });
  });

  it('names a voice application that overrides the URL, and says to connect with --force', async () => {
    world = await healthyWorld({ number: { voiceApplicationSid: `AP${'1'.repeat(32)}` } });
    const { check } = await doctor(world.env);

    expect(check('twilio-voice-url')).toMatchObject({ status: 'fail', detail: expect.stringContaining('voice application AP111') as string, fix: expect.stringContaining('--force') as string });
  });

  it("names a wrong auth token: Twilio refuses it, and the service refuses the signed call", async () => {
    world = await healthyWorld();
    const { code, check } = await doctor({ ...world.env, TWILIO_AUTH_TOKEN: 'e'.repeat(32) });

    expect(code).toBe(1);
    expect(check('twilio-credentials')).toMatchObject({ status: 'fail', detail: expect.stringContaining('20003') as string, fix: expect.stringContaining('TWILIO_AUTH_TOKEN') as string });
    expect(check('twilio-number')).toMatchObject({ status: 'skip', detail: expect.stringContaining('Twilio accepts the credentials') as string });
    expect(check('voice-signature')).toMatchObject({ status: 'fail', detail: expect.stringContaining('403') as string, fix: expect.stringContaining('PUBLIC_URL and TWILIO_AUTH_TOKEN') as string });
  });

  it('names an SMTP server that refuses the login, with the fix for the password', async () => {
    const smtp = await refusingSmtp();
    try {
      world = await healthyWorld({ env: { SMTP_URL: smtp.url } });
      const { code, check } = await doctor(world.env);

      expect(code).toBe(1);
      expect(check('smtp-login')).toMatchObject({ status: 'fail', detail: expect.stringContaining('Invalid') as string, fix: expect.stringContaining('password in SMTP_URL') as string });
      // The password is never printed.
      expect(JSON.stringify(check('smtp-login'))).not.toContain('wrong-password');
    } finally {
      await smtp.close();
    }
  });

  it('names a failing challenge (another verify token) and a refused signature (another app secret)', async () => {
    world = await healthyWorld();
    const { check } = await doctor({ ...world.env, WHATSAPP_VERIFY_TOKEN: 'not-the-services-token', WHATSAPP_APP_SECRET: 'not-the-services-app-secret' });

    expect(check('webhook-challenge')).toMatchObject({ status: 'fail', detail: expect.stringContaining('403') as string, fix: expect.stringContaining('WHATSAPP_VERIFY_TOKEN') as string });
    expect(check('webhook-signature')).toMatchObject({ status: 'fail', detail: expect.stringContaining('401') as string, fix: expect.stringContaining('WHATSAPP_APP_SECRET') as string });
  });

  it('names a service that does not answer at PUBLIC_URL', async () => {
    world = await healthyWorld();
    await world.service.stopService();
    const { check } = await doctor(world.env);

    expect(check('healthz')).toMatchObject({ status: 'fail', detail: expect.stringContaining('ECONNREFUSED') as string, fix: expect.stringContaining('Start the service') as string });
  });

  it("names Meta's side when onboarding is not finished: no app subscribed, no webhook here", async () => {
    world = await startWorld();
    const { check } = await doctor(world.env);

    expect(check('meta-number')).toMatchObject({ status: 'pass', detail: expect.stringContaining('status PENDING, code NOT_VERIFIED') as string });
    expect(check('meta-webhook')).toMatchObject({ status: 'fail', fix: expect.stringContaining('--from set-webhook') as string });
    expect(check('meta-subscription')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no app is subscribed') as string, fix: expect.stringContaining('--from subscribe-app') as string });
  });

  it("explains Graph error 190 for an expired token, and skips the checks that need it", async () => {
    world = await healthyWorld();
    const { check } = await doctor({ ...world.env, META_ACCESS_TOKEN: 'EAAG-expired-token-000000000000' });

    expect(check('meta-token')).toMatchObject({ status: 'fail', detail: expect.stringContaining('code 190') as string, fix: expect.stringMatching(/token/i) as string });
    expect(check('meta-number')?.status).toBe('skip');
    expect(check('meta-subscription')?.status).toBe('skip');
  });

  it("skips Meta's side, saying why, without META_ACCESS_TOKEN; the rest can still pass", async () => {
    world = await healthyWorld();
    const { code, check } = await doctor({ ...world.env, META_ACCESS_TOKEN: '' });

    expect(code).toBe(0);
    for (const id of ['meta-token', 'meta-number', 'meta-webhook', 'meta-subscription']) {
      expect(check(id)).toMatchObject({ status: 'skip', detail: expect.stringContaining('META_ACCESS_TOKEN is not set') as string });
    }
  });

  it('lists every setting production lacks', async () => {
    world = await healthyWorld();
    const { check } = await doctor({ ...world.env, NOTIFY_EMAIL_TO: '', NOTIFY_SMS_TO: '', WHATSAPP_SIGNATURE_CHECK: 'off' });

    expect(check('config')).toMatchObject({ status: 'fail' });
    expect(check('config')?.detail).toContain('NOTIFY_EMAIL_TO or NOTIFY_SMS_TO');
    expect(check('config')?.detail).toContain('WHATSAPP_SIGNATURE_CHECK');
  });

  it('prints one line per check for people, the fix under each failure', async () => {
    world = await healthyWorld({ number: { voiceUrl: '' } });
    const run = await runCommand(['doctor'], world.env);

    expect(run.stdout).toMatch(/^✗ The number's voice URL is the service: the voice URL is empty, not http:\/\/127\.0\.0\.1:\d+\/twilio\/voice\n {4}fix: Run `wa-onboard twilio connect`/m);
    expect(run.stdout).toMatch(/^✓ Meta accepts the access token/m);
    expect(run.stdout).toContain('1 of 14 checks failed');
    // Not a terminal: no colour codes.
    expect(run.stdout).not.toContain('\x1b[');
  });
});
