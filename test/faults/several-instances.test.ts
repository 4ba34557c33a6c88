import type { ReceivedEvent } from '../../src/embedded/event-receiver';
import { callParams } from '../helpers/harness';
import { FaultWorld, until } from './helpers/fault-world';
import { report } from './helpers/report';
import { postWebhooks, quantile, redeliver } from './helpers/webhook-load';

/**
 * Several instances of the service, real processes, on one PostgreSQL, behind a round-robin
 * balancer (Meta's POSTs go to each in turn). One is killed mid-burst; the database restarts under
 * load; a call's requests land on different instances. Every acknowledged event is kept and
 * forwarded, lanes in order; the live instances forward nothing twice.
 */

const LANES = ['10650000001', '10650000002', '10650000003', '10650000004', '10650000005', '10650000006', '10650000007', '10650000008'];
const CONNECTIONS = 50;

let world: FaultWorld;
afterEach(async () => {
  await world?.close();
});

/** The distinct events the receiver took, and how many it took more than once. */
function received(events: ReceivedEvent[]): { keys: Set<string>; duplicates: number } {
  const keys = new Set(events.map((e) => e.idempotencyKey ?? ''));
  return { keys, duplicates: events.length - keys.size };
}

/** Each lane's events in the order the receiver first took them, against the order the database owes them in. */
async function lanesOutOfOrder(events: ReceivedEvent[]): Promise<string[]> {
  const owed = new Map<string, string[]>();
  for (const { key, lane } of await world.books.eventsInOrder()) owed.set(lane ?? '', [...(owed.get(lane ?? '') ?? []), key]);
  const firstSeen = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const event of events) {
    const key = event.idempotencyKey ?? '';
    if (seen.has(key)) continue;
    seen.add(key);
    const lane = (JSON.parse(event.body) as { phoneNumberId: string | null }).phoneNumberId ?? '';
    firstSeen.set(lane, [...(firstSeen.get(lane) ?? []), key]);
  }
  return [...owed].filter(([lane, keys]) => JSON.stringify(firstSeen.get(lane) ?? []) !== JSON.stringify(keys)).map(([lane]) => lane);
}

describe('several instances on one PostgreSQL', () => {
  it('loses nothing and forwards nothing twice from live instances when one of three is killed mid-burst', async () => {
    world = await FaultWorld.start({}, { postgres: true, instances: 3 });
    const instances = await Promise.all([0, 1, 2].map((n) => world.startInstance(n)));
    const victim = instances[2];
    if (!victim) throw new Error('no third instance');
    const stopLoad = new AbortController();
    let killedAt = 0;
    const load = postWebhooks({
      url: instances[0]?.url ?? '',
      urls: instances.map((i) => i.url),
      lanes: LANES,
      connections: CONNECTIONS,
      count: 9_000,
      signal: stopLoad.signal,
      onAcknowledged: (count) => {
        if (count === 3_000) {
          killedAt = count;
          victim.kill('SIGKILL');
        }
      },
    });
    const tally = await load;
    expect((await victim.exited).signal).toBe('SIGKILL');
    expect(killedAt).toBe(3_000);

    // Everything answered 200 is in the database, whichever instance answered it.
    const inbox = await world.books.inboxMessageIds();
    expect([...tally.acknowledged].filter((id) => !inbox.has(id))).toEqual([]);
    // Meta delivers again what got no 200 (the dead instance's share), to the live ones.
    const again = await redeliver(instances[0]?.url ?? '', tally.unacknowledged, LANES);
    expect(again.unacknowledged.size).toBe(0);

    const receiver = world.receiver;
    if (!receiver) throw new Error('no receiver');
    const everyEvent = new Set([...tally.acknowledged, ...tally.unacknowledged].map((id) => `message:${id}`));
    // The dead instance's claims run out (30 s) before its lanes are taken over.
    await until('every event forwarded', () => received(receiver.events).keys.size >= everyEvent.size, 240_000);
    const { keys, duplicates } = received(receiver.events);
    expect([...everyEvent].filter((key) => !keys.has(key))).toEqual([]);
    expect((await world.books.storedMessageIds()).size).toBe(everyEvent.size);
    expect(await world.books.forwardStates()).toEqual({ sent: everyEvent.size });
    // A duplicate can only be a forward the killed instance sent and never recorded: at most one per lane it held.
    expect(duplicates).toBeLessThanOrEqual(LANES.length);
    expect(await lanesOutOfOrder(receiver.events)).toEqual([]);

    report('three instances, one killed mid-burst (SIGKILL after the 3,000th 200, round-robin, 8 lanes)', {
      'POSTs answered 200 (acknowledged)': tally.acknowledged.size,
      'POSTs without a 200 (the dead instance, mostly)': tally.unacknowledged.size,
      'acknowledged and stored': [...tally.acknowledged].filter((id) => inbox.has(id)).length,
      'events after redelivery to the live instances': everyEvent.size,
      'events forwarded (distinct keys)': keys.size,
      'duplicates by Idempotency-Key (sent by the killed instance, not recorded)': duplicates,
      'lanes out of order': (await lanesOutOfOrder(receiver.events)).length,
      'p99 of the 200s (ms)': Math.round(quantile(tally.latenciesMs, 0.99)),
      lost: [...everyEvent].filter((key) => !keys.has(key)).length,
    });
  });

  it('answers 503 while PostgreSQL restarts under load, 200 again after, and loses nothing', async () => {
    world = await FaultWorld.start({}, { postgres: true, instances: 2 });
    const instances = await Promise.all([0, 1].map((n) => world.startInstance(n)));
    const cluster = world.cluster;
    if (!cluster) throw new Error('no cluster');
    let restarting: Promise<void> | undefined;
    const tally = await postWebhooks({
      url: instances[0]?.url ?? '',
      urls: instances.map((i) => i.url),
      lanes: LANES,
      connections: CONNECTIONS,
      count: 6_000,
      onAcknowledged: (count) => {
        if (count === 2_000) restarting = cluster.restart();
      },
    });
    await restarting;
    // Both processes lived through it, without a restart of their own.
    for (const instance of instances) {
      expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
    }
    const inbox = await world.books.inboxMessageIds();
    expect([...tally.acknowledged].filter((id) => !inbox.has(id))).toEqual([]);
    const again = await redeliver(instances[1]?.url ?? '', tally.unacknowledged, LANES);
    expect(again.unacknowledged.size).toBe(0);

    const receiver = world.receiver;
    if (!receiver) throw new Error('no receiver');
    const everyEvent = new Set([...tally.acknowledged, ...tally.unacknowledged].map((id) => `message:${id}`));
    await until('every event forwarded', () => received(receiver.events).keys.size >= everyEvent.size, 240_000);
    const { keys, duplicates } = received(receiver.events);
    expect([...everyEvent].filter((key) => !keys.has(key))).toEqual([]);
    expect(await lanesOutOfOrder(receiver.events)).toEqual([]);
    // Forwards sent while the database restarted were recorded once it was back, not sent again.
    expect(duplicates).toBe(0);

    report('PostgreSQL restarted under load (pg_ctl restart -m fast after the 2,000th 200, two instances)', {
      'POSTs answered 200 (acknowledged)': tally.acknowledged.size,
      'POSTs answered 503 during the restart': tally.otherStatuses.get(503) ?? 0,
      'POSTs with no answer': tally.otherStatuses.get(0) ?? 0,
      'acknowledged and stored': [...tally.acknowledged].filter((id) => inbox.has(id)).length,
      'events forwarded (distinct keys)': keys.size,
      'duplicates by Idempotency-Key': duplicates,
      'lanes out of order': (await lanesOutOfOrder(receiver.events)).length,
      lost: [...everyEvent].filter((key) => !keys.has(key)).length,
    });
  });

  it('delivers a code once per recipient when its call goes back and forth between instances', async () => {
    world = await FaultWorld.start({}, { postgres: true, instances: 2 });
    const [a, b] = await Promise.all([0, 1].map((n) => world.startInstance(n)));
    if (!a || !b) throw new Error('two instances');
    const sid = 'CA' + '5'.repeat(32);
    const post = (url: string, path: string, extra: Record<string, string> = {}) => world.twilioPostTo(url, path, callParams(sid, extra));
    expect((await post(a.url, '/twilio/voice')).status).toBe(200);
    expect((await post(b.url, '/twilio/gather?listen=1', { SpeechResult: 'four eight two' })).status).toBe(200);
    expect((await post(a.url, '/twilio/voice?listen=2')).status).toBe(200);
    // Twilio retries the try that carried the code on the other instance; the transcript comes later.
    const answers = await Promise.all([
      post(b.url, '/twilio/gather?listen=2', { SpeechResult: '4 8 2 9 1 7' }),
      post(a.url, '/twilio/gather?listen=2', { SpeechResult: '4 8 2 9 1 7' }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect((await post(b.url, '/twilio/transcription', { TranscriptionText: '482917', TranscriptionStatus: 'completed' })).status).toBe(200);
    await until('both deliveries sent', async () => (await world.books.deliveries()).filter((d) => d.status === 'sent').length === 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything sent twice would be in by now
    expect(world.smtp?.received).toHaveLength(1);
    expect(world.twilioApi?.messages).toHaveLength(1);
    expect(await world.books.codes()).toEqual(['482917']);
    report('a call whose requests alternate between two instances, a try retried on both', {
      'requests to instance A': 3,
      'requests to instance B': 3,
      'codes stored': (await world.books.codes()).length,
      'emails received': world.smtp?.received.length ?? 0,
      'SMS received': world.twilioApi?.messages.length ?? 0,
    });
  });
});
