import fc from 'fast-check';
import { EVENT_KINDS, type WhatsAppEvent } from '../../src/whatsapp/event';
import { normalizePayload, type Normalized } from '../../src/whatsapp/normalize';
import { MAX_UPDATES_PER_POST } from '../../src/whatsapp/payload-limits';
import { anyString, waMessage, waStatus, waValueError, waWebhook, waWebhookWithWrongFields } from '../helpers/arbitraries';
import { toMetaWire, type WaError, type WaMessage, type WaStatus, type WaWebhook } from '../helpers/meta-wire';

// Properties of the webhook normaliser, for any body: it never throws, and every entry, change,
// message, status and error of a batch becomes an event (REFERENCE §4; STYLE: never only [0]).

const RECEIVED_AT = new Date('2025-02-12T01:00:00.000Z');
const RUNS = { numRuns: 200 };

const normalize = (body: unknown): Normalized => normalizePayload(Buffer.from(toMetaWire(body), 'ascii'), RECEIVED_AT);

/** What is wrong with an event, if anything: what every event must be, whatever came in. */
function problemsOf(event: WhatsAppEvent): string[] {
  const checks: Array<[string, boolean]> = [
    ['id', typeof event.id === 'string' && event.id.length > 0],
    ['kind', EVENT_KINDS.includes(event.kind)],
    ['type, field, wabaId', [event.type, event.field, event.wabaId].every((text) => typeof text === 'string')],
    ['phone numbers', [event.phoneNumberId, event.displayPhoneNumber].every((id) => id === null || typeof id === 'string')],
    ['timestamp', event.timestamp === null || !Number.isNaN(Date.parse(event.timestamp))],
    ['receivedAt', event.receivedAt === RECEIVED_AT.toISOString()],
    ['serialisable (the store keeps each event as JSON)', serialisable(event)],
  ];
  return checks.filter(([, ok]) => !ok).map(([what]) => `${event.id}: ${what}`);
}

function serialisable(event: WhatsAppEvent): boolean {
  try {
    JSON.stringify(event);
    return true;
  } catch {
    return false;
  }
}

function expectWellFormed(events: readonly WhatsAppEvent[]): void {
  expect(events.flatMap(problemsOf)).toEqual([]);
}

/** What an event says of where it came from and what it carries; ids where the item has its own. */
interface Seen {
  kind: string;
  id?: string;
  wabaId: string;
  field: string;
  phoneNumberId: string | null;
  data: unknown;
}

const seen = (event: WhatsAppEvent): Seen => ({
  kind: event.kind,
  ...(event.kind === 'message' || event.kind === 'status' ? { id: event.id } : {}),
  wabaId: event.wabaId,
  field: event.field,
  phoneNumberId: event.phoneNumberId,
  data: event.data,
});

/** Every item of every change of every entry, in Meta's order; a change without items is one field event. */
function expectedEvents(body: WaWebhook): Seen[] {
  return body.entry.flatMap((entry) =>
    entry.changes.flatMap(({ field, value }): Seen[] => {
      const where = { wabaId: entry.id, field, phoneNumberId: value.metadata?.phone_number_id ?? null };
      const { messages, statuses, errors } = value;
      if (field !== 'messages' || (messages === undefined && statuses === undefined && errors === undefined)) {
        return [{ kind: 'field', ...where, data: value }];
      }
      return [
        ...(messages ?? []).map((item) => ({ kind: 'message', id: `message:${item.id}`, ...where, data: item })),
        ...(statuses ?? []).map((item) => ({ kind: 'status', id: `status:${item.id}:${item.status}`, ...where, data: item })),
        ...(errors ?? []).map((item) => ({ kind: 'error', ...where, data: item })),
      ];
    }),
  );
}

function eventsOf(result: Normalized): WhatsAppEvent[] {
  if (!result.ok) throw new Error(`expected events, got the problem: ${result.problem}`);
  return result.events;
}

describe('normalizePayload, for any well-formed batch', () => {
  it('yields every message, status and error of every change of every entry, in order (N entries × M changes × K items)', () => {
    fc.assert(
      fc.property(waWebhook, (body) => {
        const events = eventsOf(normalize(body));
        expect(events.map(seen)).toEqual(expectedEvents(body));
        expectWellFormed(events);
      }),
      RUNS,
    );
  });

  /** One change holding `size` messages, statuses and errors, each copied from a generated one. */
  function bigBatch(size: { messages: number; statuses: number; errors: number }, oneMessage: WaMessage, oneStatus: WaStatus, oneError: WaError): unknown {
    const value = {
      metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      messages: Array.from({ length: size.messages }, (_, i) => ({ ...oneMessage, id: `${oneMessage.id}.${i}` })),
      statuses: Array.from({ length: size.statuses }, (_, i) => ({ ...oneStatus, id: `${oneStatus.id}.${i}` })),
      errors: Array.from({ length: size.errors }, () => oneError),
    };
    return { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value }] }] };
  }

  // Meta batches at most 1000 updates in one POST; the limit is MAX_UPDATES_PER_POST.
  const withinLimit = fc
    .record({ messages: fc.nat(1000), statuses: fc.nat(1000), errors: fc.nat(300) })
    .filter((size) => size.messages + size.statuses + size.errors + 2 <= MAX_UPDATES_PER_POST);

  it('counts every item of a batch as large as Meta sends, and larger up to the limit', () => {
    fc.assert(
      fc.property(withinLimit, waMessage, waStatus, waValueError, (size, oneMessage, oneStatus, oneError) => {
        const events = eventsOf(normalize(bigBatch(size, oneMessage, oneStatus, oneError)));
        const count = (kind: string) => events.filter((event) => event.kind === kind).length;
        expect([count('message'), count('status'), count('error')]).toEqual([size.messages, size.statuses, size.errors]);
        expect(new Set(events.filter((event) => event.kind !== 'error').map((event) => event.id)).size).toBe(size.messages + size.statuses);
      }),
      { numRuns: 20 },
    );
  });

  it('records a batch past the limit as a problem instead of expanding it', () => {
    const pastLimit = fc
      .record({ messages: fc.nat(6000), statuses: fc.nat(6000), errors: fc.nat(300) })
      .filter((size) => size.messages + size.statuses + size.errors + 2 > MAX_UPDATES_PER_POST);
    fc.assert(
      fc.property(pastLimit, waMessage, waStatus, waValueError, (size, oneMessage, oneStatus, oneError) => {
        const result = normalize(bigBatch(size, oneMessage, oneStatus, oneError));
        expect(result).toEqual({ ok: false, problem: expect.stringContaining('Meta sends at most 1000 updates in one POST') as unknown });
      }),
      { numRuns: 10 },
    );
  });
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);

/**
 * How many events the contract promises: null when the body is not Meta's envelope; otherwise each
 * entry or change that cannot be read is one event (passed on whole, never dropped), and a readable
 * `messages` change gives one event per item, or one for the whole value when it has no list we know.
 */
function promisedCount(body: unknown): number | null {
  if (!isRecord(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) return null;
  return sum(body.entry.map((entry) => {
    const readable = isRecord(entry) && (typeof entry.id === 'string' || typeof entry.id === 'number') && Array.isArray(entry.changes);
    if (!readable) return 1;
    return sum((entry.changes as unknown[]).map((change) => {
      if (!isRecord(change) || change.field !== 'messages' || !isRecord(change.value)) return 1;
      const lists = [change.value.messages, change.value.statuses, change.value.errors];
      if (lists.some((items) => items !== undefined && !Array.isArray(items)) || lists.every((items) => items === undefined)) return 1;
      return sum(lists.map((items) => (Array.isArray(items) ? items.length : 0)));
    }));
  }));
}

describe('normalizePayload, for any body at all', () => {
  it('never throws on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const result = normalizePayload(Buffer.from(bytes), RECEIVED_AT);
        if (result.ok) expectWellFormed(result.events);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on any JSON value, and reads one only when it is the envelope', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.jsonValue({ maxDepth: 8 }), anyString({ maxLength: 50 })), (body) => {
        const result = normalize(body);
        expect(result.ok).toBe(promisedCount(body) !== null);
        if (result.ok) expectWellFormed(result.events);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on an envelope with random, missing or wrong-typed fields, and drops no entry, change or item', () => {
    fc.assert(
      fc.property(waWebhookWithWrongFields, (body) => {
        const result = normalize(body);
        const promised = promisedCount(body);
        expect(result.ok).toBe(promised !== null);
        if (!result.ok) return;
        expect(result.events).toHaveLength(promised ?? -1);
        expectWellFormed(result.events);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on JSON nested deeply anywhere, yields only events that can be stored, and reads shallow nesting', () => {
    const placements: Array<[envelope: boolean, place: (x: string) => string]> = [
      [false, (x) => x],
      [true, (x) => `{"object":"whatsapp_business_account","entry":[${x}]}`],
      [true, (x) => `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[${x}]}]}`],
      [true, (x) => `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":${x}}]}]}`],
      [true, (x) => `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[${x}]}}]}]}`],
      [true, (x) => `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"wamid.1","type":"text","text":${x}}]}}]}]}`],
      [true, (x) => `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"errors":[${x}]}}]}]}`],
    ];
    const nested = fc.record({
      depth: fc.oneof(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 100_000 })),
      shape: fc.constantFrom('array', 'object', 'brackets in a string'),
      placement: fc.constantFrom(...placements),
    });
    const render = (shape: string, depth: number): string => {
      if (shape === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
      if (shape === 'object') return `${'{"a":'.repeat(depth)}null${'}'.repeat(depth)}`;
      return JSON.stringify('[{\\"'.repeat(depth)); // brackets, quotes and backslashes are text here
    };
    fc.assert(
      fc.property(nested, ({ depth, shape, placement: [envelope, place] }) => {
        const result = normalizePayload(Buffer.from(place(render(shape, depth))), RECEIVED_AT);
        if (result.ok) expectWellFormed(result.events);
        if (envelope && (shape === 'brackets in a string' || depth <= 32)) expect(result.ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
