import pino from 'pino';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import type { Mailer, OutgoingEmail, OutgoingSms, SmsSender } from '../../src/delivery/ports';
import { exponentialBackoff } from '../../src/delivery/retry-policy';
import { createMetrics } from '../../src/observability/metrics';
import type { CallStore, Recipient } from '../../src/store/call-store';
import { openSqliteStores } from '../../src/store/sqlite/open';
import { StoreError } from '../../src/store/store-error';
import type { Stores } from '../../src/store/stores';
import { eventually } from '../helpers/harness';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const clock = { now: () => new Date() };
const retry = exponentialBackoff({ baseMs: 10, maxMs: 20, maxAttempts: 5 });

function workerFor(store: CallStore, ports: { mailer: Mailer; sms: SmsSender }, options: { worker?: string; leaseMs?: number; recordPatienceMs?: number } = {}) {
  return new DeliveryWorker({
    store,
    clock,
    retry,
    pollMs: 20,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics({ processMetrics: false }),
    worker: options.worker ?? 'worker-a',
    leaseMs: options.leaseMs ?? 30_000,
    recordPatienceMs: options.recordPatienceMs,
    ...ports,
  });
}

const locked = () => Promise.reject(new StoreError('SQLite: database is locked', { transient: true, code: 'SQLITE_BUSY' }));

async function capture(store: CallStore, n: number, recipients: Recipient[]) {
  const now = clock.now();
  await store.captureCode({ call: { callSid: `CA${n}`, from: '+16505550100', to: '+15005550006' }, code: String(100000 + n), source: 'speech', receivedAt: now }, recipients, now);
}

describe('the delivery worker', () => {
  let dir: string;
  let stores: Stores;
  let store: CallStore;
  let worker: DeliveryWorker | undefined;
  const others: DeliveryWorker[] = [];
  beforeEach(() => {
    dir = makeTempDir();
    stores = openSqliteStores(dir);
    store = stores.calls;
  });
  afterEach(async () => {
    await Promise.all([worker?.stop(), ...others.splice(0).map((w) => w.stop())]);
    await stores.close();
    removeTempDir(dir);
  });

  it('records a send again when the store blinks, and sends it once', async () => {
    const sent: OutgoingSms[] = [];
    let failures = 2;
    const blinking: CallStore = { ...store, markDeliverySent: (id, at) => (failures-- > 0 ? locked() : store.markDeliverySent(id, at)) };
    await capture(store, 1, [{ channel: 'sms', to: '+15005550001' }]);
    worker = workerFor(blinking, { mailer: { send: () => Promise.resolve() }, sms: { send: (m) => Promise.resolve(void sent.push(m)) } });
    worker.start();
    await eventually(async () => ((await store.listCodes(1))[0]?.deliveries[0]?.status === 'sent' ? true : undefined));
    expect(sent).toHaveLength(1);
  });

  it('sends again (at least once) when a send cannot be recorded for longer than it keeps trying', async () => {
    const sent: OutgoingSms[] = [];
    let away = true;
    const flaky: CallStore = { ...store, markDeliverySent: (id, at) => (away ? locked() : store.markDeliverySent(id, at)) };
    await capture(store, 1, [{ channel: 'sms', to: '+15005550001' }]);
    // The claim on a delivery whose outcome was lost runs out before it is sent again: a short lease here.
    worker = workerFor(flaky, { mailer: { send: () => Promise.resolve() }, sms: { send: (m) => Promise.resolve(void sent.push(m)) } }, { leaseMs: 100, recordPatienceMs: 150 });
    worker.start();
    await eventually(() => (sent.length === 1 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    away = false;
    await eventually(async () => ((await store.listCodes(1))[0]?.deliveries[0]?.status === 'sent' ? true : undefined));
    expect(sent.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps polling while the store is away, and delivers once it is back', async () => {
    const sent: OutgoingSms[] = [];
    let away = true;
    const intermittent: CallStore = {
      ...store,
      claimDueDeliveries: (...args) => (away ? locked() : store.claimDueDeliveries(...args)),
      nextDeliveryDueAt: () => (away ? locked() : store.nextDeliveryDueAt()),
    };
    await capture(store, 2, [{ channel: 'sms', to: '+15005550001' }]);
    worker = workerFor(intermittent, { mailer: { send: () => Promise.resolve() }, sms: { send: (m) => Promise.resolve(void sent.push(m)) } });
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sent).toHaveLength(0);
    away = false;
    await eventually(() => (sent.length === 1 ? true : undefined));
  });

  it('starts an SMS even while more than a hundred emails hang', async () => {
    const hanging: OutgoingEmail[] = [];
    const sent: OutgoingSms[] = [];
    for (let n = 0; n < 110; n++) await capture(store, n, [{ channel: 'email', to: 'team@example.com' }]);
    await capture(store, 999, [{ channel: 'sms', to: '+15005550001' }]);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    worker = workerFor(store, {
      mailer: { send: (m) => (hanging.push(m), released) },
      sms: { send: (m) => Promise.resolve(void sent.push(m)) },
    });
    worker.start();
    try {
      await eventually(() => (sent.length === 1 ? true : undefined));
      expect(hanging.length).toBe(110);
    } finally {
      release();
    }
  });

  it('sends a delivery once when two instances work the same store, however slow the send', async () => {
    const sent: OutgoingEmail[] = [];
    await capture(store, 3, [{ channel: 'email', to: 'team@example.com' }]);
    // Each send outlasts three leases: only the renewal (every third of a lease) keeps the other
    // instance from taking it. A lease of a second leaves room for a busy machine's late timers.
    const slowMailer: Mailer = { send: (m) => new Promise((resolve) => setTimeout(() => resolve(void sent.push(m)), 3_500)) };
    const sms = { send: () => Promise.resolve() };
    worker = workerFor(store, { mailer: slowMailer, sms }, { worker: 'instance-a', leaseMs: 1_000 });
    const other = workerFor(store, { mailer: slowMailer, sms }, { worker: 'instance-b', leaseMs: 1_000 });
    others.push(other);
    worker.start();
    other.start();
    await eventually(async () => ((await store.listCodes(1))[0]?.deliveries[0]?.status === 'sent' ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sent).toHaveLength(1);
  });

  it("takes over a dead instance's delivery once its claim has run out", async () => {
    const sent: OutgoingSms[] = [];
    await capture(store, 4, [{ channel: 'sms', to: '+15005550001' }]);
    // The live instance's clock is the test's: the dead one's lease runs out when the test says so.
    let now = new Date(clock.now().getTime());
    const [claimed] = await store.claimDueDeliveries({ worker: 'dead-instance', now, until: new Date(now.getTime() + 60_000) }, 10);
    expect(claimed?.recipient).toBe('+15005550001');
    worker = new DeliveryWorker({
      store,
      clock: { now: () => now },
      retry,
      pollMs: 20,
      logger: pino({ level: 'silent' }),
      metrics: createMetrics({ processMetrics: false }),
      worker: 'live-instance',
      leaseMs: 30_000,
      mailer: { send: () => Promise.resolve() },
      sms: { send: (m) => Promise.resolve(void sent.push(m)) },
    });
    worker.start();
    await worker.tick();
    await worker.tick(); // two passes while the lease lasts
    expect(sent).toHaveLength(0);
    now = new Date(now.getTime() + 60_001);
    await eventually(() => (sent.length === 1 ? true : undefined));
  });

});
