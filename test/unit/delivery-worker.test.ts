import pino from 'pino';
import { DeliveryWorker } from '../../src/delivery/delivery-worker';
import type { Mailer, OutgoingEmail, OutgoingSms, SmsSender } from '../../src/delivery/ports';
import { exponentialBackoff } from '../../src/delivery/retry-policy';
import { createMetrics } from '../../src/observability/metrics';
import { openSqliteStore } from '../../src/store/sqlite-store';
import type { Recipient, Store } from '../../src/store/store';
import { eventually } from '../helpers/harness';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const clock = { now: () => new Date() };
const retry = exponentialBackoff({ baseMs: 10, maxMs: 20, maxAttempts: 5 });

function workerFor(store: Store, ports: { mailer: Mailer; sms: SmsSender }) {
  return new DeliveryWorker({ store, clock, retry, pollMs: 20, logger: pino({ level: 'silent' }), metrics: createMetrics({ processMetrics: false }), ...ports });
}

async function capture(store: Store, n: number, recipients: Recipient[]) {
  const now = clock.now();
  await store.captureCode({ call: { callSid: `CA${n}`, from: '+16505550100', to: '+15005550006' }, code: String(100000 + n), source: 'speech', receivedAt: now }, recipients, now);
}

describe('the delivery worker', () => {
  let dir: string;
  let store: Store;
  let worker: DeliveryWorker | undefined;
  beforeEach(() => {
    dir = makeTempDir();
    store = openSqliteStore(dir);
  });
  afterEach(async () => {
    await worker?.stop();
    await store.close();
    removeTempDir(dir);
  });

  it('survives a store that cannot record an attempt, and sends again (at least once)', async () => {
    const sent: OutgoingSms[] = [];
    let failures = 1;
    const flaky: Store = Object.create(store) as Store;
    flaky.markDeliverySent = (id, at) =>
      failures-- > 0 ? Promise.reject(new Error('SQLITE_BUSY: database is locked')) : store.markDeliverySent(id, at);
    flaky.dueDeliveries = (...args) => store.dueDeliveries(...args);
    flaky.nextDueAt = () => store.nextDueAt();
    await capture(store, 1, [{ channel: 'sms', to: '+15005550001' }]);
    worker = workerFor(flaky, { mailer: { send: () => Promise.resolve() }, sms: { send: (m) => Promise.resolve(void sent.push(m)) } });
    worker.start();
    await eventually(async () => ((await store.listCodes(1))[0]?.deliveries[0]?.status === 'sent' ? true : undefined));
    expect(sent).toHaveLength(2);
  });

  it('keeps polling while the store is away, and delivers once it is back', async () => {
    const sent: OutgoingSms[] = [];
    let away = true;
    const intermittent: Store = Object.create(store) as Store;
    const closed = () => Promise.reject(new Error('the database connection is not open'));
    intermittent.dueDeliveries = (...args) => (away ? closed() : store.dueDeliveries(...args));
    intermittent.nextDueAt = () => (away ? closed() : store.nextDueAt());
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
});
