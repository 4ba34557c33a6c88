import type { DispatchOutcome, KnownState } from '../../src/store/webhook-store';
import { dispatchLookups, laneOf, planDispatch } from '../../src/whatsapp/dispatch-plan';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { explainError } from '../../src/whatsapp/explain-error';
import { asRehearsal } from '../../src/whatsapp/read-post';
import { COUNTERS, eventsOfKind, REHEARSAL_COUNTERS } from '../../src/whatsapp/webhook-counters';

// planDispatch decides what a dispatch records; the stores only persist it. Events are built by
// hand here, shaped as normalizePayload makes them (test/unit/normalize.test.ts covers that part).

const NOW = new Date('2025-02-12T00:05:00.000Z');
const RECEIVED = '2025-02-12T00:00:00.000Z';
const WABA = '102290129340398';
const PHONE_1 = '106540352242922';
const PHONE_2 = '109238475610293';
const TARGETS = ['https://hooks.example.com/a', 'https://hooks.example.com/b'];
const MESSAGE = 'wamid.sent-by-us';

const NOTHING_KNOWN: KnownState = { keys: new Set(), statuses: new Map() };

function message(id: string, phoneNumberId: string = PHONE_1): WhatsAppEvent {
  return {
    id: `message:${id}`,
    kind: 'message',
    type: 'text',
    field: 'messages',
    wabaId: WABA,
    phoneNumberId,
    displayPhoneNumber: '+1 555-0100',
    timestamp: RECEIVED,
    receivedAt: RECEIVED,
    data: { id },
  };
}

/** A status of MESSAGE at `second` past the minute (ISO timestamps compare as strings). */
function status(value: string, second: number, options: { failed?: boolean } = {}): WhatsAppEvent {
  const timestamp = `2025-02-12T00:00:${String(second).padStart(2, '0')}.000Z`;
  return {
    ...message('unused'),
    id: `status:${MESSAGE}:${value}`,
    kind: 'status',
    type: value,
    timestamp,
    messageId: MESSAGE,
    superseded: false,
    ...(options.failed ? { errors: [explainError({ code: 131047, title: 'Re-engagement message' })] } : {}),
    data: { id: MESSAGE, status: value },
  };
}

/** A field without a phone number (a template update): kept in order per WABA. */
function templateUpdate(id: string): WhatsAppEvent {
  return { ...message(id), id: `field:${id}`, kind: 'field', type: 'message_template_status_update', phoneNumberId: null, displayPhoneNumber: null };
}

const post = (inboxId: number, ...events: WhatsAppEvent[]): DispatchOutcome => ({ inboxId, events });
const knowing = (state: Partial<KnownState>): KnownState => ({ ...NOTHING_KNOWN, ...state });
const plan = (outcomes: DispatchOutcome[], known: KnownState = NOTHING_KNOWN) => planDispatch(outcomes, known, TARGETS, NOW);

describe('dispatchLookups', () => {
  it('asks about every event key once, and the messages of statuses only', () => {
    const lookups = dispatchLookups([post(1, message('m1'), status('read', 10)), post(2, message('m1')), { inboxId: 3, problem: 'not JSON' }]);
    expect(lookups).toEqual({ keys: ['message:m1', `status:${MESSAGE}:read`], messageIds: [MESSAGE] });
  });
});

describe('planDispatch', () => {
  describe('duplicates', () => {
    it('creates an event listed twice in one batch once, and counts the second a duplicate of its POST', () => {
      const result = plan([post(1, message('m1')), post(2, message('m1'), message('m2'))]);

      expect(result.created.map((e) => e.id)).toEqual(['message:m1', 'message:m2']);
      expect(result.events.map((e) => e.key)).toEqual(['message:m1', 'message:m2']);
      expect(result.duplicates).toBe(1);
      expect(result.posts).toEqual([
        { inboxId: 1, state: 'dispatched', events: 1, duplicates: 0 },
        { inboxId: 2, state: 'dispatched', events: 1, duplicates: 1 },
      ]);
    });

    it('owes nothing for an event whose key is already stored, and counts it a duplicate', () => {
      const result = plan([post(1, message('m1'), message('m2'))], knowing({ keys: new Set(['message:m1']) }));

      expect(result.events.map((e) => e.key)).toEqual(['message:m2']);
      expect(result.created.map((e) => e.id)).toEqual(['message:m2']);
      expect(result.posts).toEqual([{ inboxId: 1, state: 'dispatched', events: 1, duplicates: 1 }]);
    });

    it('leaves a status already stored out of the statuses, even one that would advance', () => {
      const result = plan([post(1, status('played', 50))], knowing({ keys: new Set([`status:${MESSAGE}:played`]) }));
      expect(result.statuses).toEqual([]);
      expect(result.duplicates).toBe(1);
    });
  });

  describe('statuses', () => {
    it('stores a delivered that arrives after read as superseded, and moves nothing', () => {
      const known = knowing({ statuses: new Map([[MESSAGE, { status: 'read', timestamp: '2025-02-12T00:00:20.000Z' }]]) });
      const result = plan([post(1, status('delivered', 10))], known);

      expect(result.created.map((e) => [e.type, e.superseded])).toEqual([['delivered', true]]);
      expect(result.statuses).toEqual([]);
      // Every sink receives the body with the flag: it is the stored event, not the one read.
      expect(JSON.parse(result.events[0]?.body ?? '{}')).toMatchObject({ type: 'delivered', superseded: true });
    });

    it('judges each status in a batch against the latest so far, not against one that was superseded', () => {
      const result = plan([post(1, status('read', 20)), post(2, status('delivered', 10)), post(3, status('failed', 30)), post(4, status('played', 40))]);

      // Failed ranks with delivered: judged against the late delivered, it would have advanced.
      expect(result.created.map((e) => [e.type, e.superseded])).toEqual([
        ['read', false],
        ['delivered', true],
        ['failed', true],
        ['played', false],
      ]);
      expect(result.statuses).toEqual([{ messageId: MESSAGE, status: 'played', timestamp: '2025-02-12T00:00:40.000Z' }]);
    });

    it('moves a status past the one stored, and records it as the latest', () => {
      const known = knowing({ statuses: new Map([[MESSAGE, { status: 'delivered', timestamp: '2025-02-12T00:00:10.000Z' }]]) });
      const result = plan([post(1, status('read', 20))], known);

      expect(result.created[0]?.superseded).toBe(false);
      expect(result.statuses).toEqual([{ messageId: MESSAGE, status: 'read', timestamp: '2025-02-12T00:00:20.000Z' }]);
    });

    it('never supersedes a status without a message id, and records no latest for it', () => {
      const orphan: WhatsAppEvent = { ...status('read', 20), id: 'status:hash-of-item', messageId: null };
      const result = plan([post(1, orphan)]);
      expect(result.created[0]?.superseded).toBe(false);
      expect(result.statuses).toEqual([]);
    });
  });

  describe('lanes and forwards', () => {
    it('puts an event on the lane of its phone number, and a field without one on its WABA', () => {
      const result = plan([post(1, message('m1', PHONE_1), message('m2', PHONE_2), templateUpdate('t1'))]);
      expect(result.events.map((e) => [e.key, e.lane])).toEqual([
        ['message:m1', PHONE_1],
        ['message:m2', PHONE_2],
        ['field:t1', WABA],
      ]);
      expect(laneOf(templateUpdate('t2'))).toBe(WABA);
    });

    it('owes each new event to every target, in arrival order, with what the store lists it by', () => {
      const failed = status('failed', 30, { failed: true });
      const result = plan([post(7, message('m1')), post(8, failed)]);

      expect(result.events.map((e) => [e.inboxId, e.key, e.targets])).toEqual([
        [7, 'message:m1', TARGETS],
        [8, failed.id, TARGETS],
      ]);
      expect(result.events[1]).toMatchObject({ kind: 'status', type: 'failed', phoneNumberId: PHONE_1, failed: true, receivedAt: new Date(RECEIVED) });
      expect(result.events[0]?.failed).toBe(false);
      expect(JSON.parse(result.events[0]?.body ?? '{}')).toEqual(message('m1'));
    });
  });

  describe('counters and marks', () => {
    it('counts dispatched and invalid POSTs, new events, duplicates and each kind, leaving zeros out', () => {
      const result = plan([
        post(1, message('m1'), message('m1'), status('read', 20)),
        { inboxId: 2, problem: 'the body is not JSON' },
        post(3, templateUpdate('t1')),
      ]);

      expect(result.counters).toEqual([
        { name: COUNTERS.dispatched, by: 2 },
        { name: COUNTERS.invalid, by: 1 },
        { name: COUNTERS.events, by: 3 },
        { name: COUNTERS.duplicates, by: 1 },
        { name: eventsOfKind('message'), by: 1 },
        { name: eventsOfKind('status'), by: 1 },
        { name: eventsOfKind('field'), by: 1 },
      ]);
    });

    it('marks when the last new event was dispatched', () => {
      expect(plan([post(1, message('m1'))]).marks).toEqual([{ name: COUNTERS.lastEventAt, value: NOW.getTime() }]);
    });

    it("counts rehearsal POSTs under the rehearsal counters only, apart from Meta's, with their own last event time", () => {
      const rehearsal = (inboxId: number, ...events: WhatsAppEvent[]): DispatchOutcome => ({ ...post(inboxId, ...events.map(asRehearsal)), rehearsal: true });
      const result = plan([
        rehearsal(1, message('m1'), message('m1')),
        { inboxId: 2, problem: 'the body is not JSON', rehearsal: true },
        post(3, message('m2')),
      ]);

      expect(result.counters).toEqual([
        { name: COUNTERS.dispatched, by: 1 },
        { name: COUNTERS.events, by: 1 },
        { name: eventsOfKind('message'), by: 1 },
        { name: REHEARSAL_COUNTERS.posts, by: 2 },
        { name: REHEARSAL_COUNTERS.events, by: 1 },
        { name: REHEARSAL_COUNTERS.duplicates, by: 1 },
      ]);
      expect(result).toMatchObject({ duplicates: 0, invalid: 0 });
      expect(result.marks).toEqual([
        { name: COUNTERS.lastEventAt, value: NOW.getTime() },
        { name: REHEARSAL_COUNTERS.lastEventAt, value: NOW.getTime() },
      ]);
      expect(result.events.map((e) => [e.key, e.rehearsal])).toEqual([
        ['rehearsal:message:m1', true],
        ['message:m2', false],
      ]);
    });

    it('marks nothing, and counts only the POST and its duplicate, when nothing is new', () => {
      const result = plan([post(1, message('m1'))], knowing({ keys: new Set(['message:m1']) }));
      expect(result.marks).toEqual([]);
      expect(result.counters).toEqual([
        { name: COUNTERS.dispatched, by: 1 },
        { name: COUNTERS.duplicates, by: 1 },
      ]);
    });
  });

  describe('invalid POSTs', () => {
    it('records an invalid POST with its problem, and no events', () => {
      const result = plan([{ inboxId: 4, problem: 'not a WhatsApp payload: object is "page"' }]);

      expect(result.posts).toEqual([{ inboxId: 4, state: 'invalid', problem: 'not a WhatsApp payload: object is "page"' }]);
      expect(result).toMatchObject({ events: [], created: [], invalid: 1, duplicates: 0, statuses: [], marks: [] });
      expect(result.counters).toEqual([{ name: COUNTERS.invalid, by: 1 }]);
    });

    it('counts a POST that held no events as dispatched, not invalid', () => {
      const result = plan([post(5)]);
      expect(result.posts).toEqual([{ inboxId: 5, state: 'dispatched', events: 0, duplicates: 0 }]);
      expect(result.counters).toEqual([{ name: COUNTERS.dispatched, by: 1 }]);
    });
  });

  it('dates the plan at the time it was made', () => {
    expect(plan([]).at).toEqual(NOW);
  });
});
