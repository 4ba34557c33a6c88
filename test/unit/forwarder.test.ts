import pino from 'pino';
import { createMetrics } from '../../src/observability/metrics';
import { openSqliteStores } from '../../src/store/sqlite/open';
import { StoreError } from '../../src/store/store-error';
import type { Stores } from '../../src/store/stores';
import type { ForwardJob, WebhookStore } from '../../src/store/webhook-store';
import { dispatchLookups, planDispatch } from '../../src/whatsapp/dispatch-plan';
import { Forwarder } from '../../src/whatsapp/forwarder';
import { IntakePressure } from '../../src/whatsapp/intake-pressure';
import { normalizePayload } from '../../src/whatsapp/normalize';
import type { Sink } from '../../src/whatsapp/sinks';
import { textBatch } from '../helpers/meta-payloads';
import { fixtureWire } from '../helpers/meta-wire';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const TARGET = 'http://127.0.0.1:1/events';
const now = () => new Date();

let dir: string;
let stores: Stores;
beforeEach(() => {
  dir = makeTempDir();
  stores = openSqliteStores(dir);
});
afterEach(async () => {
  await stores.close();
  removeTempDir(dir);
});

/** Stores the text fixture and dispatches it: one forward owed to TARGET. */
async function oneEventOwed(webhooks: WebhookStore): Promise<void> {
  await eventsOwed(webhooks, fixtureWire('text'));
}

/** Stores `body` as one POST and dispatches it: a forward owed to TARGET per event. */
async function eventsOwed(webhooks: WebhookStore, body: Buffer): Promise<void> {
  await webhooks.appendToInbox([{ receivedAt: now(), body, contentType: 'application/json', signature: null, signedWith: 'current', rehearsal: false }]);
  await webhooks.dispatchInbox(1, {
    read: (items) =>
      items.map((item) => {
        const normalized = normalizePayload(item.body, item.receivedAt);
        if (!normalized.ok) throw new Error('fixture did not normalise');
        return { inboxId: item.id, events: normalized.events };
      }),
    lookups: dispatchLookups,
    plan: (outcomes, known) => planDispatch(outcomes, known, [TARGET], now()),
  });
}

function forwarderWith(webhooks: WebhookStore, sink: Sink, options: { leaseMs?: number; recordPatienceMs?: number; pressure?: IntakePressure } = {}): Forwarder {
  return new Forwarder({
    webhooks,
    sinks: [sink],
    clock: { now },
    logger: pino({ level: 'silent' }),
    metrics: createMetrics({ processMetrics: false }),
    backoffMs: () => 10,
    giveUpMs: 72 * 60 * 60_000,
    pollMs: 60_000,
    worker: 'test-instance',
    leaseMs: options.leaseMs ?? 30_000,
    recordPatienceMs: options.recordPatienceMs,
    pressure: options.pressure,
  });
}

describe('the forwarder', () => {
  it('does not resend an event in a loop when its outcome cannot be stored (a full disk): the lane waits for its claim to run out', async () => {
    await oneEventOwed(stores.webhooks);
    const failingStore: WebhookStore = {
      ...stores.webhooks,
      markForwardSent: () => Promise.reject(new StoreError('SQLite: database or disk is full', { transient: true, code: 'SQLITE_FULL' })),
    };
    const delivered: ForwardJob[] = [];
    const forwarder = forwarderWith(failingStore, { target: TARGET, deliver: (job) => Promise.resolve(void delivered.push(job)) }, { recordPatienceMs: 100 });

    forwarder.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await forwarder.stop();

    // Sent once; the failure to record it does not make the lane send it again and again.
    expect(delivered).toHaveLength(1);
  });

  it('records a forward again when the store blinks (a database restarting), and sends it once', async () => {
    await oneEventOwed(stores.webhooks);
    let failures = 3;
    const blinking: WebhookStore = {
      ...stores.webhooks,
      markForwardSent: (...args) =>
        failures-- > 0 ? Promise.reject(new StoreError('PostgreSQL: terminating connection', { transient: true, code: '57P01' })) : stores.webhooks.markForwardSent(...args),
    };
    const delivered: ForwardJob[] = [];
    // A lease of a second: without the retried record the claim would run out and the event go again.
    const forwarder = forwarderWith(blinking, { target: TARGET, deliver: (job) => Promise.resolve(void delivered.push(job)) }, { leaseMs: 1_000 });
    forwarder.start();
    for (let i = 0; i < 500 && (await stores.webhooks.pendingTargets()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // a claim run out would have sent it again by now
    await forwarder.stop();
    expect(await stores.webhooks.pendingTargets()).toEqual([]);
    expect(delivered).toHaveLength(1);
  });

  it('sends a lane\'s events in order, each once, when everything works', async () => {
    await oneEventOwed(stores.webhooks);
    const delivered: string[] = [];
    const forwarder = forwarderWith(stores.webhooks, { target: TARGET, deliver: (job) => Promise.resolve(void delivered.push(job.eventId)) });
    forwarder.start();
    for (let i = 0; i < 100 && delivered.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await forwarder.stop();
    expect(delivered).toEqual(['message:wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=']);
    expect(await stores.webhooks.nextForwardDueAt([TARGET])).toBeNull();
  });

  it("gives way to Meta's POSTs before each of a lane's events, and still sends them all in order", async () => {
    await eventsOwed(stores.webhooks, textBatch(5, { first: 0 }));
    const steps: string[] = [];
    // Always pressed: the forwarder asks before every next event, and goes on when told.
    class Pressed extends IntakePressure {
      override giveWay(): Promise<boolean> {
        steps.push('gave way');
        return Promise.resolve(true);
      }
    }
    const forwarder = forwarderWith(
      stores.webhooks,
      { target: TARGET, deliver: (job) => Promise.resolve(void steps.push(job.eventId)) },
      { pressure: new Pressed() },
    );
    forwarder.start();
    for (let i = 0; i < 200 && steps.length < 10; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await forwarder.stop();
    const sent = steps.filter((s) => s !== 'gave way');
    expect(sent).toHaveLength(5);
    expect(sent).toEqual([...sent].sort());
    // Each event sent, then the lane gives way before it claims the next.
    expect(steps).toEqual(sent.flatMap((id) => [id, 'gave way']));
  });
});
