import { startHarness, type Harness } from '../helpers/harness';
import { inboxRows } from '../helpers/inbox-rows';
import { textBatch, messageId, OTHER_PHONE_NUMBER_ID, PHONE_NUMBER_ID } from '../helpers/meta-payloads';
import { FIXTURE_NAMES, fixture, fixtureWire } from '../helpers/meta-wire';

describe('dispatching stored POSTs into events', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  /** Posts, checks the 200, and waits until dispatch has read everything stored. */
  async function deliver(...bodies: Buffer[]): Promise<void> {
    for (const body of bodies) expect((await h.metaPost(body)).status).toBe(200);
    await h.service.dispatcher.runNow();
  }

  it('turns every fixture into events, none refused, with the item exactly as Meta sent it', async () => {
    await deliver(...FIXTURE_NAMES.map((name) => fixtureWire(name)));
    const overview = await h.webhookOverview();
    expect(overview.counts).toMatchObject({ stored: FIXTURE_NAMES.length, dispatched: FIXTURE_NAMES.length, invalid: 0 });

    const events = await h.events();
    const image = events.find((e) => e.type === 'image' && e.field === 'messages' && e.id.includes('wamid'));
    expect(image).toBeDefined();
    const hologram = events.find((e) => e.kind === 'message' && e.type === 'unknown');
    expect(hologram?.data).toMatchObject({ type: 'hologram' });
    expect(events.filter((e) => e.kind === 'field').map((e) => e.type).sort()).toEqual([
      'account_update',
      'message_template_status_update',
      'message_template_status_update', // the second entry of mixed-batch
      'phone_number_quality_update',
    ]);
  });

  it('keeps accents, emoji and "/" of the escaped wire form in the event text', async () => {
    await deliver(fixtureWire('text'));
    const [event] = await h.events();
    expect(event?.data).toMatchObject({ text: { body: 'Olá! Cañón 🎉 see https://example.com/a/b' } });
    expect(event?.contact).toEqual({ waId: '16505551234', name: 'Kerry Fisher' });
  });

  it('dispatches every entry, change and item of a mixed batch, never only the first', async () => {
    await deliver(fixtureWire('mixed-batch'));
    const events = (await h.events()).reverse();
    expect(events.map((e) => `${e.kind}:${e.type}:${e.phoneNumberId ?? '-'}`)).toEqual([
      `message:text:${PHONE_NUMBER_ID}`,
      `message:image:${PHONE_NUMBER_ID}`,
      `status:delivered:${PHONE_NUMBER_ID}`,
      `message:text:${OTHER_PHONE_NUMBER_ID}`,
      'field:message_template_status_update:-',
    ]);
  });

  it('dispatches all 1000 updates of a full batch', async () => {
    await deliver(textBatch(1000));
    const events = await h.events(500);
    expect(events).toHaveLength(500);
    expect((await h.webhookOverview()).counts).toMatchObject({ events: 1000, duplicates: 0 });
    expect(events[0]?.id).toBe(`message:${messageId(999)}`);
  });

  it('makes one event of a POST Meta delivers twice, and counts the duplicate', async () => {
    await deliver(fixtureWire('text'), fixtureWire('text'));
    expect(await h.events()).toHaveLength(1);
    expect((await h.webhookOverview()).counts).toMatchObject({ stored: 2, dispatched: 2, events: 1, duplicates: 1 });
  });

  it('recognises a redelivery after a restart: dedupe keys are stored, not kept in memory', async () => {
    await deliver(fixtureWire('text'));
    await h.stopService();
    await h.restartService();
    await deliver(fixtureWire('text'));
    expect(await h.events()).toHaveLength(1);
    expect((await h.webhookOverview()).counts.duplicates).toBe(1);
  });

  it('never moves a message back from read to delivered when the statuses arrive out of order', async () => {
    await deliver(fixtureWire('status-sent'), fixtureWire('status-read'), fixtureWire('status-delivered'));
    const byStatus = Object.fromEntries((await h.events()).map((e) => [e.type, e]));
    expect(byStatus.sent?.superseded).toBe(false);
    expect(byStatus.read?.superseded).toBe(false);
    expect(byStatus.delivered?.superseded).toBe(true);
    expect(byStatus.read?.messageId).toBe(byStatus.delivered?.messageId);
  });

  it('explains a failed status and a value error from the error-code catalog, and lists them as failures', async () => {
    await deliver(fixtureWire('status-failed'), fixtureWire('value-errors'));
    const { failures } = await h.webhookOverview();
    const codes = failures.flatMap((f) => f.errors.map((e) => e.code));
    expect(codes).toEqual(expect.arrayContaining([131047, 130429]));
    const reengagement = failures.flatMap((f) => f.errors).find((e) => e.code === 131047);
    expect(reengagement).toMatchObject({ known: true, transient: false });
    expect(reengagement?.action).toMatch(/template/i);
  });

  it('logs failures at warn with their explanation, and never a message text at info or above', async () => {
    await deliver(fixtureWire('text'), fixtureWire('status-failed'));
    const lines = h.logs.map((l) => JSON.parse(l) as { level: number; msg: string; errors?: Array<{ code: number }> });
    const warned = lines.find((l) => l.level === 40 && l.errors?.some((e) => e.code === 131047));
    expect(warned?.msg).toBe('WhatsApp reported a failed message');
    const atInfoOrAbove = h.logs.filter((l) => (JSON.parse(l) as { level: number }).level >= 30).join('\n');
    expect(atInfoOrAbove).not.toContain('Cañón');
    expect(atInfoOrAbove).not.toContain('Ca\\u00f1');
  });

  it('dispatches, after a restart, what was stored and acknowledged but not dispatched before the stop', async () => {
    await h.service.dispatcher.stop(); // as if the process died right after its 200s
    expect((await h.metaPost(textBatch(300))).status).toBe(200);
    expect((await h.metaPost(fixtureWire('status-failed'))).status).toBe(200);
    expect((await inboxRows(h.store)).map((r) => r.state)).toEqual(['pending', 'pending']);

    await h.stopService();
    await h.restartService();
    await h.service.dispatcher.runNow();

    expect((await inboxRows(h.store)).map((r) => r.state)).toEqual(['dispatched', 'dispatched']);
    expect((await h.webhookOverview()).counts).toMatchObject({ events: 301, pending: 0 });
  });

  it('shows the latest normalised events behind the admin token only', async () => {
    await deliver(fixtureWire('reaction'));
    expect((await fetch(`${h.url}/api/events`)).status).toBe(401);
    expect((await fetch(`${h.url}/api/webhook`)).status).toBe(401);
    const [event] = await h.events(1);
    const raw = fixture('reaction').entry[0]?.changes[0]?.value as { messages: unknown[] };
    expect(event).toMatchObject({ kind: 'message', type: 'reaction', phoneNumberId: PHONE_NUMBER_ID, data: raw.messages[0] });
    expect((await fetch(`${h.url}/api/events?limit=0`, { headers: { authorization: 'Bearer x' } })).status).toBe(401);
  });
});
