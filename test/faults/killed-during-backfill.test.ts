import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { signPayload } from '../../src/whatsapp/sign';
import { ADMIN_TOKEN, META } from '../helpers/harness';
import { messageId, textBatch } from '../helpers/meta-payloads';
import { readStore } from '../helpers/store-reader';
import { FaultWorld, until } from './helpers/fault-world';
import { report } from './helpers/report';
import { crash, startServiceProcess, type ServiceProcess } from './helpers/service-process';

/**
 * A backfill queues its events in batches, each its own transaction: a crash in the middle keeps
 * the batches committed, and asking again queues the rest, so the target added later still gets
 * every event, in order per phone number, and nothing twice but what was in flight at the crash.
 */

const EVENTS = 20_000;
const PER_POST = 100;
const LANES = Array.from({ length: 10 }, (_, i) => String(106540352242922 + i));

let world: FaultWorld;

afterEach(async () => {
  await world?.close();
});

/** The events, PER_POST to a POST, each POST on the next phone number; eight POSTs at a time. */
async function store(url: string): Promise<void> {
  const posts = Array.from({ length: EVENTS / PER_POST }, (_, i) => i);
  const worker = async () => {
    for (let i = posts.shift(); i !== undefined; i = posts.shift()) {
      const body = textBatch(PER_POST, { first: i * PER_POST, phoneNumberId: LANES[i % LANES.length] });
      const res = await fetch(`${url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signPayload(META.appSecret, body) },
        body,
      });
      expect(res.status).toBe(200);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const backfill = (service: ServiceProcess, target: string, since: Date) =>
  fetch(`${service.url}/api/forwards/backfill`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ target, since: since.toISOString() }),
  });

describe('a backfill cut short by a crash', () => {
  it('keeps the batches it committed; asked again, it queues the rest, and the target gets every event, in order per phone number', async () => {
    // First the events arrive with no target configured: a target added later is owed none of them.
    world = await FaultWorld.start({ FORWARD_URL: '' });
    const since = new Date(Date.now() - 60_000);
    await world.startService();
    await store(world.url);
    const books = world.books;
    await until('every POST dispatched', async () => (await books.inboxStates()).pending === undefined, 120_000);
    const target = `http://127.0.0.1:${world.ports.receiver}/events`;
    world.service?.kill('SIGTERM');
    await world.service?.exited;

    // The receiver becomes a target, and is backfilled; the service is killed once the first batches are in.
    const withTarget = { ...world.env, FORWARD_URL: target };
    const first = await startServiceProcess({ env: withTarget, port: world.ports.service });
    world.service = first;
    const cut = backfill(first, target, since).then(
      (res) => `answered ${res.status}`,
      () => 'no answer',
    );
    const where = { dataDir: world.dataDir };
    const queuedForwards = () => readStore(where, async (rows) => Number((await rows<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_forwards'))[0]?.n ?? 0));
    while ((await queuedForwards()) === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    await crash(first);
    const firstAnswer = await cut;
    const committed = await queuedForwards();
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(EVENTS); // the crash landed in the middle of the backfill

    const second = await startServiceProcess({ env: withTarget, port: world.ports.service });
    world.service = second;
    const again = await backfill(second, target, since);
    expect(again.status).toBe(200);
    const { queued } = (await again.json()) as { queued: number };
    expect(committed + queued).toBe(EVENTS);

    const got = (await world.receiver?.waitForEvents(EVENTS, 300_000)) ?? [];
    const keys = got.map((e) => e.idempotencyKey ?? '');
    const distinct = new Set(keys);
    expect(distinct.size).toBe(EVENTS);
    // At most one forward in flight per phone number when it was killed: sent, not yet recorded.
    expect(keys.length - distinct.size).toBeLessThanOrEqual(LANES.length);
    // Each phone number's events in the order they arrived (a repeat, sent just before the crash, aside).
    for (const lane of LANES) {
      const inLane = [...new Set(got.filter((e) => (JSON.parse(e.body) as WhatsAppEvent).phoneNumberId === lane).map((e) => e.idempotencyKey))];
      const numbers = inLane.map((key) => Number(key?.replace(`message:${messageId(0).slice(0, -8)}`, '')));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    }
    report('killed during a backfill', {
      'events stored before the target was added': EVENTS,
      'forwards committed when killed': committed,
      'the first request': firstAnswer,
      'queued when asked again': queued,
      'events the target received (distinct)': distinct.size,
      'repeats (in flight at the kill)': keys.length - distinct.size,
      lost: EVENTS - distinct.size,
    });
  }, 600_000);
});
