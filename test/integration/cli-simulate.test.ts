import { SAMPLE_EVENT_NAMES } from '../../src/embedded/sample-webhook-events';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { runCommand } from '../helpers/cli';
import { startWorld, type World } from '../helpers/cli-world';
import { startHarness, type Harness } from '../helpers/harness';
import { operatorPage } from '../helpers/operator-page';

/** What the service makes of each sample: its kind and type. */
const EXPECTED_EVENT: Record<(typeof SAMPLE_EVENT_NAMES)[number], string> = {
  text: 'message text',
  image: 'message image',
  location: 'message location',
  reaction: 'message reaction',
  'button-reply': 'message interactive',
  'status-sent': 'status sent',
  'status-delivered': 'status delivered',
  'status-read': 'status read',
  'status-failed': 'status failed',
  'value-error': 'error error',
  'template-status': 'field message_template_status_update',
  'quality-update': 'field phone_number_quality_update',
};

interface CallResult {
  ok: boolean;
  heard: { code: string; source: string; deliveries: Array<{ channel: string; status: string }> } | null;
}

describe('wa-onboard simulate call', () => {
  let world: World;
  afterEach(() => world.close());

  it("plays Meta's call against the service and reports the code heard and delivered by email and SMS", async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'call', '--json'], world.env);
    const result = run.json<CallResult>();

    expect(run.code).toBe(0);
    expect(result.heard?.source).toBe('speech');
    expect(result.heard?.deliveries.map((d) => [d.channel, d.status]).sort()).toEqual([
      ['email', 'sent'],
      ['sms', 'sent'],
    ]);
    const [email] = await world.service.smtp.waitFor(1);
    expect(email?.text).toContain(result.heard?.code ?? 'no code');
  });

  it("marks the call as a rehearsal: the team's email subject and SMS say so, and so does its code", async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'call', '--digits', '482913'], world.env);

    expect(run.code).toBe(0);
    const [email] = await world.service.smtp.waitFor(1);
    expect(email?.subject).toBe(`[rehearsal] WhatsApp verification code for ${world.service.config.twilio.phoneNumber}: 482913`);
    const [sms] = await world.twilioApi.waitForMessages(1);
    expect(sms?.body).toMatch(/^\[rehearsal\] WhatsApp verification code for .*: 482913$/);
    expect((await world.service.codes())[0]).toMatchObject({ code: '482913', rehearsal: true });
    expect(await operatorPage(world.service)).toContain('Latest code (rehearsal)');
  });

  it('keys in --digits, and shows each request and the TwiML verbs it got back', async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'call', '--digits', '482913'], world.env);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/• POST \/twilio\/voice: 200, Start, Recording, Gather, Redirect\n/);
    expect(run.stdout).toMatch(/• POST \/twilio\/gather\?listen=1: 200, Say, Hangup\n/);
    expect(run.stdout).toContain('✓ The service heard 482913: by dtmf');
    expect(run.stdout).toMatch(/✓ email to team@example\.com: sent/);
    expect(run.stdout).toMatch(/✓ sms to \+15005550001: sent/);
  });

  it('hears the code in speech as given with --speech', async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'call', '--json', '--speech', 'Your code is one two three, four five six.'], world.env);

    expect(run.code).toBe(0);
    expect(run.json<CallResult>().heard?.code).toBe('123456');
  });

  it('reports a delivery still pending when SMTP is down, and exits 1', async () => {
    world = await startWorld();
    await world.service.smtp.close();
    const run = await runCommand(['simulate', 'call', '--digits', '135790', '--wait', '1'], world.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/- email to team@example\.com: pending/);
    expect(run.stdout).toMatch(/✓ sms to \+15005550001: sent/);
  });

  it('reports a rehearsal held back by CALLERS_ALLOWED as not forwarded, with the fix, and exits 1', async () => {
    world = await startWorld({ env: { CALLERS_ALLOWED: '+44' } });
    const run = await runCommand(['simulate', 'call', '--digits', '482913'], world.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✓ The service heard 482913: by dtmf');
    expect(run.stdout).toMatch(/✗ Not forwarded: caller not allowed: the caller is outside CALLERS_ALLOWED/);
    expect(world.service.smtp.received).toEqual([]);
  });

  it('forwards a rehearsal made --from a number CALLERS_ALLOWED lets in', async () => {
    world = await startWorld({ env: { CALLERS_ALLOWED: '+44' } });
    const run = await runCommand(['simulate', 'call', '--digits', '482913', '--from', '+447700900123'], world.env);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ email to team@example\.com: sent/);
  });

  it('reports the refusal when the auth token differs from the service\'s', async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'call', '--digits', '135790'], { ...world.env, TWILIO_AUTH_TOKEN: 'e'.repeat(32) });

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('HTTP 403');
    expect(run.stdout).toContain('same PUBLIC_URL and TWILIO_AUTH_TOKEN');
    expect(await world.service.codes()).toEqual([]);
  });
});

describe('wa-onboard simulate call --url', () => {
  let service: Harness;
  afterEach(() => service.close());

  it('signs for PUBLIC_URL while sending to where the service listens (a service behind a proxy)', async () => {
    service = await startHarness();
    const run = await runCommand(['simulate', 'call', '--digits', '246802', '--url', service.url], service.env);

    expect(run.code).toBe(0);
    expect((await service.codes())[0]?.code).toBe('246802');
  });
});

describe('wa-onboard simulate webhook', () => {
  let world: World;
  afterEach(() => world.close());

  it.each(SAMPLE_EVENT_NAMES)('posts a signed %s event and reports it dispatched', async (name) => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'webhook', '--json', '--event', name], world.env);
    const result = run.json<{ ok: boolean; status: number; events: WhatsAppEvent[] }>();

    expect({ code: run.code, status: result.status }).toEqual({ code: 0, status: 200 });
    expect(result.events.map((e) => `${e.kind} ${e.type}`)).toEqual([EXPECTED_EVENT[name]]);
  });

  it('reports a redelivery as such: a quality update sent twice in one second is one event', async () => {
    world = await startWorld();
    // Both runs within one second: Meta's dedupe key for an item without an id is its content and time.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const first = await runCommand(['simulate', 'webhook', '--event', 'quality-update'], world.env);
    const second = await runCommand(['simulate', 'webhook', '--event', 'quality-update', '--json'], world.env);

    expect(first.stdout).toContain('✓ Dispatched: field phone_number_quality_update');
    expect(second.code).toBe(0);
    expect(second.json()).toMatchObject({ ok: true, duplicate: true, events: [] });
    expect((await world.service.webhookOverview()).rehearsals.duplicates).toBe(1);
  });

  it('shows a sample failed status on the page as a rehearsal: not counted, not a failure', async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'webhook', '--event', 'status-failed'], world.env);

    expect(run.code).toBe(0);
    const overview = await world.service.webhookOverview();
    expect(overview.counts).toMatchObject({ stored: 0, events: 0, byKind: { status: 0 } });
    expect(overview.failures).toEqual([]);
    expect(overview.rehearsals).toMatchObject({ posts: 1, events: 1 });
    const page = await operatorPage(world.service);
    expect(page).toMatch(/<li class="item" id="item-failures" data-state="done"/);
    expect(page).toContain('<strong>status failed</strong> (rehearsal)');
    expect(page).toContain('No events from Meta yet; 1 rehearsal event went through (not counted).');
  });

  it("shows a failed status's error with the catalog's meaning", async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'webhook', '--event', 'status-failed'], world.env);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ Dispatched: status failed/);
    expect(run.stdout).toMatch(/error 131047: .*24/);
  });

  it('plays the subscription check with --challenge', async () => {
    world = await startWorld();
    const ok = await runCommand(['simulate', 'webhook', '--challenge'], world.env);
    const refused = await runCommand(['simulate', 'webhook', '--challenge'], { ...world.env, WHATSAPP_VERIFY_TOKEN: 'another-verify-token' });

    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('200, the challenge came back as sent');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('answered 403');
    expect(refused.stdout).toContain('WHATSAPP_VERIFY_TOKEN');
  });

  it("reports a refused signature when the app secret differs from the service's, and nothing is stored", async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'webhook'], { ...world.env, WHATSAPP_APP_SECRET: 'another-app-secret-0123456789' });

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('answered 401');
    expect((await world.service.webhookOverview()).counts.stored).toBe(0);
  });

  it('refuses an event name it does not know, listing the ones it does', async () => {
    world = await startWorld();
    const run = await runCommand(['simulate', 'webhook', '--event', 'telepathy'], world.env);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('status-failed');
  });
});
