import { FaultWorld, until } from './helpers/fault-world';
import { report } from './helpers/report';
import { postWebhooks, redeliver } from './helpers/webhook-load';

/**
 * The promise Meta is given with each 200: the event is on disk. Here the process dies by SIGKILL
 * (no handler runs, nothing is flushed) in the middle of Meta's traffic, and the books must still
 * balance after the restart.
 */

const KILL_AFTER = 3_000;
const CONNECTIONS = 50;

let world: FaultWorld;

afterEach(async () => {
  await world?.close();
});

describe('killed under load', () => {
  it('keeps and forwards every event it acknowledged, though SIGKILL came mid-run', async () => {
    world = await FaultWorld.start();
    const first = await world.startService();
    const stopLoad = new AbortController();
    const load = postWebhooks({
      url: first.url,
      connections: CONNECTIONS,
      signal: stopLoad.signal,
      onAcknowledged: (count) => {
        if (count === KILL_AFTER) first.kill('SIGKILL');
      },
    });
    const exit = await first.exited;
    stopLoad.abort();
    const tally = await load;
    expect(exit.signal).toBe('SIGKILL');

    // What Meta was told it could forget must be on disk before anything runs again.
    const inboxAfterCrash = await world.books.inboxMessageIds();
    const lostOnDisk = [...tally.acknowledged].filter((id) => !inboxAfterCrash.has(id));
    expect(lostOnDisk).toEqual([]);

    await world.startService();
    // Meta delivers again whatever got no 200: some of it was stored before the crash, unanswered.
    const redelivered = await redeliver(world.url, tally.unacknowledged);
    expect(redelivered.unacknowledged.size).toBe(0);

    const everyEvent = new Set([...tally.acknowledged, ...tally.unacknowledged]);
    const receiver = world.receiver;
    if (!receiver) throw new Error('no receiver');
    const forwardedKeys = () => new Set(receiver.events.map((e) => (e.idempotencyKey ?? '').replace(/^message:/, '')));
    await until('every event forwarded after the restart', () => forwardedKeys().size >= everyEvent.size, 180_000);

    const stored = await world.books.storedMessageIds();
    const forwarded = forwardedKeys();
    expect([...tally.acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    expect([...everyEvent].filter((id) => !forwarded.has(id))).toEqual([]);
    expect(await world.books.forwardStates()).toEqual({ sent: everyEvent.size });

    report('killed under load (SIGKILL mid-run, restart, Meta redelivers the unanswered)', {
      'POSTs answered 200 before the kill (acknowledged)': tally.acknowledged.size,
      'POSTs without a 200 (no answer, reset or refused)': tally.unacknowledged.size,
      'of those, already stored before the kill': [...tally.unacknowledged].filter((id) => inboxAfterCrash.has(id)).length,
      'acknowledged and stored': [...tally.acknowledged].filter((id) => stored.has(id)).length,
      'events stored after redelivery (deduplicated)': stored.size,
      'events forwarded (distinct keys)': forwarded.size,
      'forward requests taken by the receiver': receiver.events.length,
      'duplicates by Idempotency-Key': receiver.events.length - forwarded.size,
      lost: [...everyEvent].filter((id) => !forwarded.has(id)).length,
    });
  });
});
