import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { normalizePayload, type Normalized } from '../../src/whatsapp/normalize';
import { FIXTURE_NAMES, fixture, fixtureWire, toMetaWire, type WaMessage, type WaWebhook } from '../helpers/meta-wire';

const RECEIVED_AT = new Date('2025-02-12T01:00:00.000Z');
const WABA_ID = '102290129340398';
const PHONE_NUMBER_ID = '106540352242922';
const DISPLAY_NUMBER = '15550783881';

/** Unix seconds as Meta sends them, in ISO 8601. */
const iso = (seconds: string | number) => new Date(Number(seconds) * 1000).toISOString();

function eventsOf(result: Normalized): WhatsAppEvent[] {
  if (!result.ok) throw new Error(`expected events, got the problem: ${result.problem}`);
  return result.events;
}

function normalizeWire(wire: Buffer | string): WhatsAppEvent[] {
  return eventsOf(normalizePayload(Buffer.isBuffer(wire) ? wire : Buffer.from(wire, 'utf8'), RECEIVED_AT));
}

const normalizeFixture = (name: string) => normalizeWire(fixtureWire(name));
const normalizeBody = (body: unknown) => normalizeWire(toMetaWire(body));

function problemOf(body: string): string {
  const result = normalizePayload(Buffer.from(body, 'utf8'), RECEIVED_AT);
  if (result.ok) throw new Error(`expected a problem, got ${result.events.length} events`);
  return result.problem;
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

/** The first message of the first change of a fixture: what the single-message fixtures are about. */
function firstMessage(name: string): WaMessage {
  const message = fixture(name).entry[0]?.changes[0]?.value.messages?.[0];
  if (!message) throw new Error(`fixture ${name} has no message`);
  return message;
}

/** A webhook with one `messages` change whose value is `value`. */
function messagesWebhook(value: Record<string, unknown>): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: WABA_ID, changes: [{ field: 'messages', value }] }],
  };
}

const MESSAGE_FIXTURES = FIXTURE_NAMES.filter((name) => {
  const value = fixture(name).entry[0]?.changes[0]?.value;
  return name !== 'mixed-batch' && (value?.messages?.length ?? 0) > 0;
});

describe('normalizePayload on every fixture', () => {
  it.each(FIXTURE_NAMES)('turns %s into at least one event, each with the time it was received', (name) => {
    const events = normalizeFixture(name);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event.receivedAt).toBe(RECEIVED_AT.toISOString());
  });

  it('has message fixtures to check (the table below is not empty)', () => {
    expect(MESSAGE_FIXTURES.length).toBeGreaterThanOrEqual(15);
  });
});

describe('message events', () => {
  it.each(MESSAGE_FIXTURES)('reads %s: id, type, number, sender, time, and the item itself as data', (name) => {
    const message = firstMessage(name);
    const contact = fixture(name).entry[0]?.changes[0]?.value.contacts?.[0];
    const event = only(normalizeFixture(name));

    expect(event).toMatchObject({
      id: `message:${message.id}`,
      kind: 'message',
      field: 'messages',
      wabaId: WABA_ID,
      phoneNumberId: PHONE_NUMBER_ID,
      displayPhoneNumber: DISPLAY_NUMBER,
      from: message.from,
      timestamp: iso(message.timestamp),
    });
    expect(event.type).toBe(name === 'unknown-type' ? 'unknown' : message.type);
    expect(event.contact).toEqual(contact ? { waId: contact.wa_id, name: contact.profile?.name ?? null } : null);
    expect(event.data).toEqual(message);
  });

  it('passes a message type it does not know as `unknown`, keeping its own type in data', () => {
    const event = only(normalizeFixture('unknown-type'));
    expect(event.type).toBe('unknown');
    expect(event.data).toMatchObject({ type: 'hologram' });
  });

  it('reads an edit as its own type, naming the message edited, the new content kept in data', () => {
    const event = only(normalizeFixture('edit'));
    expect(event).toMatchObject({
      kind: 'message',
      type: 'edit',
      originalMessageId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=',
      from: '16505551234',
    });
    expect(event.data).toMatchObject({ edit: { message: { type: 'text', text: { body: 'Olá! Cañón 🎉 (corrigido: às 18h)' } } } });
  });

  it('reads a revoke as its own type, naming the message deleted', () => {
    const event = only(normalizeFixture('revoke'));
    expect(event).toMatchObject({
      kind: 'message',
      type: 'revoke',
      originalMessageId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=',
    });
  });

  it('keeps an edit or a revoke without the original id (or with one that is not text) as its type, the id null', () => {
    const edit = { ...firstMessage('edit'), edit: { message: { type: 'text', text: { body: 'x' } } } };
    const revoke = { ...firstMessage('revoke'), revoke: { original_message_id: 42 } };
    const events = normalizeBody(messagesWebhook({ metadata: { phone_number_id: PHONE_NUMBER_ID }, messages: [edit, revoke] }));
    expect(events.map((e) => [e.type, e.originalMessageId])).toEqual([
      ['edit', null],
      ['revoke', null],
    ]);
  });

  it('gives messages of other types no originalMessageId', () => {
    expect(only(normalizeFixture('text'))).not.toHaveProperty('originalMessageId');
    expect(only(normalizeFixture('reaction'))).not.toHaveProperty('originalMessageId');
  });

  it('explains the errors of an unsupported message from the catalog', () => {
    const event = only(normalizeFixture('unsupported'));
    expect(event.type).toBe('unsupported');
    expect(event.errors).toEqual([
      expect.objectContaining({
        code: 131051,
        title: 'Message type unknown',
        details: 'Message type is currently not supported.',
        known: true,
        transient: false,
      }),
    ]);
    expect(only(event.errors ?? []).meaning).toMatch(/not supported/);
  });

  it('gives a message without errors no `errors` property', () => {
    expect(only(normalizeFixture('text'))).not.toHaveProperty('errors');
  });

  it('finds the sender among several contacts by wa_id', () => {
    const [, second] = normalizeFixture('mixed-batch');
    expect(second?.contact).toEqual({ waId: '447700900123', name: 'Zoë Ança' });
  });

  it('keeps a message without `from` (a username sender), with a null sender', () => {
    const message = { ...firstMessage('text') };
    delete message.from;
    const event = only(normalizeBody(messagesWebhook({ metadata: { phone_number_id: PHONE_NUMBER_ID }, messages: [message] })));
    expect(event).toMatchObject({ id: `message:${message.id}`, from: null, contact: null });
  });
});

describe('text on the wire', () => {
  it('keeps accents, emoji and "/" from Meta\'s escaped bytes', () => {
    const wire = fixtureWire('mixed-batch').toString('ascii');
    // The fixture really is escaped on the wire: the test would prove nothing otherwise.
    expect(wire).toContain('\\ud83d\\udce6');
    expect(wire).toContain('9\\/18');

    const events = normalizeFixture('mixed-batch');
    expect(events[0]?.data).toMatchObject({ text: { body: 'Pedido nº 1042 chegou? 📦' } });
    expect(events[3]?.data).toMatchObject({ text: { body: '¿Abren mañana? Horario 9/18' } });
    expect(events[3]?.contact?.name).toBe('Alejandro Peña');
  });
});

describe('status events', () => {
  it.each(['sent', 'delivered', 'read', 'failed'])('reads a %s status: id by message and status, recipient, time', (status) => {
    const item = fixture(`status-${status}`).entry[0]?.changes[0]?.value.statuses?.[0];
    const event = only(normalizeFixture(`status-${status}`));
    expect(event).toMatchObject({
      id: `status:${item?.id}:${status}`,
      kind: 'status',
      type: status,
      phoneNumberId: PHONE_NUMBER_ID,
      displayPhoneNumber: DISPLAY_NUMBER,
      messageId: item?.id,
      recipientId: '16505551234',
      timestamp: iso(item?.timestamp ?? 0),
      superseded: false,
    });
    expect(event.data).toEqual(item);
  });

  it('gives two statuses of one message two ids', () => {
    const sent = only(normalizeFixture('status-sent'));
    const read = only(normalizeFixture('status-read'));
    expect(sent.messageId).toBe(read.messageId);
    expect(sent.id).not.toBe(read.id);
  });

  it('explains the errors of a failed status (131047: the 24-hour window)', () => {
    const error = only(only(normalizeFixture('status-failed')).errors ?? []);
    expect(error).toMatchObject({ code: 131047, known: true, transient: false });
    expect(error.meaning).toMatch(/24 hours/);
    expect(error.action).toMatch(/template/);
    expect(error.details).toMatch(/more than 24 hours/);
  });
});

describe('value errors', () => {
  function twoErrors(): WaWebhook {
    const body = fixture('value-errors');
    const value = body.entry[0]?.changes[0]?.value;
    value?.errors?.push({ code: 131000, title: 'Something went wrong' });
    return body;
  }

  it('makes one error event per error, explained', () => {
    const events = normalizeBody(twoErrors());
    expect(events.map((e) => [e.kind, e.type, e.errors?.[0]?.code])).toEqual([
      ['error', 'error', 130429],
      ['error', 'error', 131000],
    ]);
    expect(events[0]).toMatchObject({ phoneNumberId: PHONE_NUMBER_ID, wabaId: WABA_ID });
    expect(events[0]?.errors?.[0]).toMatchObject({ known: true, transient: true });
    expect(events[0]?.data).toEqual(fixture('value-errors').entry[0]?.changes[0]?.value.errors?.[0]);
  });

  it('keys each error by a hash: distinct errors, distinct keys', () => {
    const [first, second] = normalizeBody(twoErrors());
    expect(first?.id).toMatch(/^error:[0-9a-f]{32}$/);
    expect(second?.id).toMatch(/^error:[0-9a-f]{32}$/);
    expect(first?.id).not.toBe(second?.id);
  });

  it('gives the same bytes delivered twice the same key (a redelivery is a duplicate)', () => {
    const once = only(normalizeFixture('value-errors'));
    const again = eventsOf(normalizePayload(fixtureWire('value-errors'), new Date('2025-02-13T00:00:00.000Z')));
    expect(only(again).id).toBe(once.id);
  });

  it('tells the same error on two phone numbers apart', () => {
    const other = fixture('value-errors');
    const metadata = other.entry[0]?.changes[0]?.value.metadata;
    if (metadata) metadata.phone_number_id = '109238475610293';
    expect(only(normalizeBody(other)).id).not.toBe(only(normalizeFixture('value-errors')).id);
  });
});

describe('other fields', () => {
  it.each(['message-template-status-update', 'phone-number-quality-update', 'account-update'])(
    'passes %s on whole as a field event, timed by entry.time',
    (name) => {
      const body = fixture(name);
      const entry = body.entry[0];
      const change = entry?.changes[0];
      const event = only(normalizeFixture(name));
      expect(event).toMatchObject({
        kind: 'field',
        type: change?.field,
        field: change?.field,
        wabaId: WABA_ID,
        phoneNumberId: null,
        displayPhoneNumber: null,
        timestamp: iso(entry?.time ?? 0),
      });
      expect(event.id).toMatch(/^field:[0-9a-f]{32}$/);
      expect(event.data).toEqual(change?.value);
    },
  );

  it('gives the same field update redelivered the same key, and a later one another', () => {
    const once = only(normalizeFixture('account-update'));
    expect(only(normalizeFixture('account-update')).id).toBe(once.id);
    const later = fixture('account-update');
    const entry = later.entry[0];
    if (entry) entry.time = (entry.time ?? 0) + 60;
    expect(only(normalizeBody(later)).id).not.toBe(once.id);
  });
});

describe('batches', () => {
  it('reads every item of every change of every entry of the mixed batch, in order', () => {
    const events = normalizeFixture('mixed-batch');
    expect(events.map((e) => [e.kind, e.type, e.phoneNumberId])).toEqual([
      ['message', 'text', PHONE_NUMBER_ID],
      ['message', 'image', PHONE_NUMBER_ID],
      ['status', 'delivered', PHONE_NUMBER_ID],
      ['message', 'text', '109238475610293'],
      ['field', 'message_template_status_update', null],
    ]);
    expect(events.map((e) => e.displayPhoneNumber)).toEqual(['15550783881', '15550783881', '15550783881', '15550199402', null]);
    expect(events[4]?.timestamp).toBe(iso(1739325034));
    const body = fixture('mixed-batch');
    const items = [
      ...(body.entry[0]?.changes[0]?.value.messages ?? []),
      ...(body.entry[0]?.changes[0]?.value.statuses ?? []),
      ...(body.entry[0]?.changes[1]?.value.messages ?? []),
      body.entry[1]?.changes[0]?.value,
    ];
    expect(events.map((e) => e.data)).toEqual(items);
  });

  it('reads all 1000 messages of a full batch', () => {
    const template = firstMessage('text');
    const messages = Array.from({ length: 1000 }, (_, n) => ({ ...template, id: `wamid.batch-${n}` }));
    const events = normalizeBody(messagesWebhook({ metadata: { phone_number_id: PHONE_NUMBER_ID }, messages }));
    expect(events).toHaveLength(1000);
    expect(new Set(events.map((e) => e.id)).size).toBe(1000);
    expect(events[999]?.id).toBe('message:wamid.batch-999');
  });

  it('reads a payload with no entries as no events', () => {
    expect(normalizeWire('{"object":"whatsapp_business_account","entry":[]}')).toEqual([]);
  });
});

describe('payloads that are not a WhatsApp Business Account payload', () => {
  it('reports a body that is not JSON', () => {
    expect(problemOf('{"object":"whatsapp_business_account",')).toMatch(/^not valid JSON: /);
  });

  it('reports an empty body as not JSON', () => {
    expect(problemOf('')).toMatch(/^not valid JSON/);
  });

  it('reports a top-level array', () => {
    expect(problemOf(toMetaWire([fixture('text')]))).toMatch(
      /^not a WhatsApp Business Account payload: the top level: .*expected object, received array/,
    );
  });

  it('reports an `object` other than whatsapp_business_account, naming the field', () => {
    const body = { ...fixture('text'), object: 'page' };
    expect(problemOf(toMetaWire(body))).toMatch(
      /^not a WhatsApp Business Account payload: object: .*"whatsapp_business_account"/,
    );
  });

  it('reports an `entry` that is not an array, naming the field', () => {
    const body = { object: 'whatsapp_business_account', entry: fixture('text').entry[0] };
    expect(problemOf(toMetaWire(body))).toMatch(
      /^not a WhatsApp Business Account payload: entry: .*expected array/,
    );
  });
});

describe('tolerance for shapes Meta may send', () => {
  it('passes on a messages value whose `messages` is not an array as a field event', () => {
    const value = { metadata: { phone_number_id: PHONE_NUMBER_ID }, messages: { id: 'wamid.not-a-list' } };
    const event = only(normalizeBody(messagesWebhook(value)));
    expect(event).toMatchObject({ kind: 'field', type: 'messages', field: 'messages', wabaId: WABA_ID });
    expect(event.data).toEqual(value);
  });

  it('makes an event of items that are not objects, with a hashed key', () => {
    const events = normalizeBody(
      messagesWebhook({ metadata: { phone_number_id: PHONE_NUMBER_ID }, messages: ['hello', null], statuses: [42] }),
    );
    expect(events.map((e) => [e.kind, e.type, e.data])).toEqual([
      ['message', 'unknown', 'hello'],
      ['message', 'unknown', null],
      ['status', 'unknown', 42],
    ]);
    expect(events[0]?.id).toMatch(/^message:[0-9a-f]{32}$/);
    expect(events[2]?.id).toMatch(/^status:[0-9a-f]{32}$/);
    expect(events[0]?.id).not.toBe(events[1]?.id);
    expect(events[2]).toMatchObject({ messageId: null, recipientId: null, timestamp: null });
  });

  it('reads a numeric entry id as a string', () => {
    const body = fixture('text') as unknown as { entry: Array<{ id: unknown }> };
    const entry = body.entry[0];
    if (entry) entry.id = 102290129340398;
    expect(only(normalizeBody(body)).wabaId).toBe('102290129340398');
  });

  it('leaves a missing or unreadable timestamp null rather than inventing one', () => {
    const messages = [
      { ...firstMessage('text'), id: 'wamid.a', timestamp: undefined },
      { ...firstMessage('text'), id: 'wamid.b', timestamp: 'soon' },
    ];
    const events = normalizeBody(messagesWebhook({ metadata: { phone_number_id: PHONE_NUMBER_ID }, messages }));
    expect(events.map((e) => e.timestamp)).toEqual([null, null]);
  });
});

describe('parts of a batch that cannot be read', () => {
  it('passes an unreadable entry on whole, and still dispatches the entries around it', () => {
    const body = fixture('mixed-batch') as unknown as { entry: unknown[] };
    body.entry.splice(1, 0, { id: 42, changes: 'not a list' });
    const events = normalizeBody(body);
    const unreadable = only(events.filter((e) => e.type === 'unreadable_entry'));
    expect(unreadable).toMatchObject({ kind: 'field', wabaId: '42', data: { id: 42, changes: 'not a list' } });
    expect(events.filter((e) => e.kind === 'message')).toHaveLength(3);
    expect(events.at(-1)?.type).toBe('message_template_status_update');
  });

  it('passes an unreadable change on whole, and still dispatches the other changes of its entry', () => {
    const body = fixture('mixed-batch') as unknown as { entry: Array<{ changes: unknown[] }> };
    body.entry[0]?.changes.unshift({ value: {} }); // no field
    const events = normalizeBody(body);
    expect(events[0]).toMatchObject({ kind: 'field', type: 'unreadable_change', wabaId: WABA_ID });
    expect(events.filter((e) => e.kind === 'message')).toHaveLength(3);
  });

  it('keeps the phone number of a messages value it passes on whole, so the event keeps its lane', () => {
    const body = fixture('text');
    const value = body.entry[0]?.changes[0]?.value as Record<string, unknown>;
    value.messages = 'not a list';
    const event = only(normalizeBody(body));
    expect(event).toMatchObject({ kind: 'field', type: 'messages', phoneNumberId: PHONE_NUMBER_ID, displayPhoneNumber: DISPLAY_NUMBER });
  });
});

describe('keys of items without an id or a time of their own', () => {
  it('gives a value error the same key when the same POST is delivered again', () => {
    const wire = fixtureWire('value-errors');
    expect(only(normalizeWire(wire)).id).toBe(only(normalizeWire(Buffer.from(wire))).id);
  });

  it('gives the same error a new key when it occurs again in another POST', () => {
    const again = fixture('value-errors');
    (again as unknown as Record<string, unknown>).later = true; // other bytes: another POST
    expect(only(normalizeBody(again)).id).not.toBe(only(normalizeFixture('value-errors')).id);
  });
});
