import { startEventReceiver, type EventReceiver } from '../../src/embedded/event-receiver';
import type { DeadLetterView } from '../../src/whatsapp/dead-letter-list';
import { targetName } from '../../src/whatsapp/target-name';
import { runCommand } from '../helpers/cli';
import { startWorld, type World } from '../helpers/cli-world';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { messageId, PHONE_NUMBER_ID, textBatch } from '../helpers/meta-payloads';

// `wa-onboard events ...` against the real service on loopback, whose receiver refuses and then
// takes events: dead letters exist for real, and replay and backfill deliver them for real.

const FORWARD_SECRET = 'forward-secret-for-tests-0123';
const keyOf = (n: number) => `message:${messageId(n)}`;
const keys = (events: Array<{ idempotencyKey: string | undefined }>) => events.map((e) => e.idempotencyKey);
/** The name the service gives a target, as a pattern. */
const named = (url: string) => targetName(url).replace(/[.[\]/?]/g, '\\$&');

interface ListResult {
  ok: boolean;
  deadLetters: DeadLetterView[];
  more: boolean;
}

describe('wa-onboard events', () => {
  let world: World;
  let receivers: EventReceiver[] = [];
  afterEach(async () => {
    await world?.close();
    await Promise.all(receivers.map((r) => r.close()));
    receivers = [];
  });

  /**
   * The service forwarding to one receiver that refuses everything, and `count` events it refused,
   * from `lanes` phone numbers (each lane is sent in order, the lanes side by side).
   */
  async function refused(count: number, lanes = 1): Promise<EventReceiver> {
    const receiver = await startEventReceiver();
    receivers.push(receiver);
    receiver.failWith(422);
    world = await startWorld({ env: { FORWARD_URL: receiver.url, FORWARD_SECRET } });
    const perLane = Math.ceil(count / lanes);
    for (let first = 0, lane = 0; first < count; first += perLane, lane++) {
      const batch = textBatch(Math.min(perLane, count - first), { first, phoneNumberId: lane === 0 ? PHONE_NUMBER_ID : `${PHONE_NUMBER_ID}${lane}` });
      expect((await world.service.metaPost(batch)).status).toBe(200);
    }
    // Read from the metrics the store keeps, a few rows however many there are.
    await eventually(async () => {
      const metrics = await (await fetch(`${world.publicUrl}/metrics`)).text();
      return new RegExp(`wa_onboard_dead_letters\\{target="${named(receiver.url)}",status="rejected"\\} ${count}\\b`).test(metrics) ? true : undefined;
    }, 30_000);
    return receiver;
  }

  it('lists the events a receiver refused, newest first, with their status, HTTP status and error', async () => {
    const receiver = await refused(3);
    const run = await runCommand(['events', 'dead-letters'], world.env);

    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('rejected '));
    expect(lines).toEqual([2, 1, 0].map((n) => `rejected ${keyOf(n)} to ${targetName(receiver.url)}: HTTP 422, the target answered HTTP 422`));
    expect(run.stdout).toMatch(/given up \S+ after 1 attempt; received \S+, lane 106540352242922/);
    expect(run.stdout).toContain('• 3 dead letters, newest first\n');
  });

  it('prints them as JSON with --json, filtered by --target and --status', async () => {
    const receiver = await refused(2);
    const rejected = await runCommand(['events', 'dead-letters', '--json', '--target', receiver.url, '--status', 'rejected'], world.env);
    const expired = await runCommand(['events', 'dead-letters', '--json', '--target', targetName(receiver.url), '--status', 'expired'], world.env);

    expect(rejected.code).toBe(0);
    const result = rejected.json<ListResult>();
    expect(result).toMatchObject({ ok: true, more: false });
    expect(result.deadLetters.map((d) => [d.eventId, d.status, d.httpStatus, d.target])).toEqual([
      [keyOf(1), 'rejected', 422, targetName(receiver.url)],
      [keyOf(0), 'rejected', 422, targetName(receiver.url)],
    ]);
    expect(expired.json<ListResult>()).toEqual({ ok: true, deadLetters: [], more: false });
    expect(rejected.stderr).toBe('');
  });

  it('stops at --limit, saying there are more, and follows the pages with --all', async () => {
    // More than one page of the API (500), so --all has to follow `next`.
    await refused(501, 4);
    const limited = await runCommand(['events', 'dead-letters', '--limit', '2'], world.env);
    const all = await runCommand(['events', 'dead-letters', '--all', '--json'], world.env);

    expect(limited.stdout).toContain('• 2 dead letters, newest first; older ones too (--all, or a larger --limit)');
    const letters = all.json<ListResult>().deadLetters;
    expect(new Set(letters.map((d) => d.eventId))).toEqual(new Set(Array.from({ length: 501 }, (_, n) => keyOf(n))));
    expect(letters).toHaveLength(501);
    const givenUp = letters.map((d) => d.givenUpAt);
    expect(givenUp).toEqual([...givenUp].sort().reverse());
    expect(all.json<ListResult>().more).toBe(false);
  });

  it('replays them once the receiver is fixed: each delivered once with its Idempotency-Key; a second replay queues nothing', async () => {
    const receiver = await refused(3);
    receiver.recover();
    const run = await runCommand(['events', 'replay', '--target', receiver.url], world.env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`✓ Queued 3 dead letters again (of ${targetName(receiver.url)})`);
    expect(keys(await receiver.waitForEvents(3))).toEqual([0, 1, 2].map(keyOf));
    await eventually(async () => ((await runCommand(['events', 'dead-letters', '--json'], world.env)).json<ListResult>().deadLetters.length === 0 ? true : undefined));

    const again = await runCommand(['events', 'replay', '--json'], world.env);
    expect(again.code).toBe(0);
    expect(again.json()).toEqual({ ok: true, queued: 0 });
    expect(receiver.events).toHaveLength(3);
  });

  it('replays only the events named with --event', async () => {
    const receiver = await refused(3);
    receiver.recover();
    const run = await runCommand(['events', 'replay', '--event', keyOf(0), '--event', keyOf(2), '--status', 'rejected', '--json'], world.env);

    expect(run.json()).toEqual({ ok: true, queued: 2 });
    expect(keys(await receiver.waitForEvents(2))).toEqual([keyOf(0), keyOf(2)]);
    const left = await eventually(async () => {
      const letters = (await runCommand(['events', 'dead-letters', '--json'], world.env)).json<ListResult>().deadLetters;
      return letters.length === 1 ? letters : undefined;
    });
    expect(left.map((d) => d.eventId)).toEqual([keyOf(1)]);
  });

  it('backfills a target added later with the events since --since, converted to an ISO time', async () => {
    const first = await startEventReceiver();
    receivers.push(first);
    world = await startWorld({ env: { FORWARD_URL: first.url, FORWARD_SECRET } });
    expect((await world.service.metaPost(textBatch(3))).status).toBe(200);
    // Recorded as sent before the restart (a forward in flight then would go again, at least once).
    await eventually(async () => ((await world.service.webhookOverview()).forwarding[0]?.sent === 3 ? true : undefined));
    const added = await startEventReceiver();
    receivers.push(added);
    await world.service.stopService();
    await world.service.restartService({ env: { FORWARD_URL: `${first.url},${added.url}` } });

    const run = await runCommand(['events', 'backfill', '--target', added.url, '--since', '2d', '--json'], world.env);
    const result = run.json<{ ok: boolean; queued: number; since: string }>();

    expect(run.code).toBe(0);
    expect(result).toMatchObject({ ok: true, queued: 3 });
    const since = Date.parse(result.since);
    expect(Math.abs(Date.now() - 2 * 24 * 60 * 60_000 - since)).toBeLessThan(60_000);
    expect(keys(await added.waitForEvents(3))).toEqual([0, 1, 2].map(keyOf));
    const again = await runCommand(['events', 'backfill', '--target', added.url, '--since', result.since], world.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`✓ Nothing to backfill to ${targetName(added.url)}`);
    expect(first.events).toHaveLength(3);
  });

  it("shows the service's 400 for a target that is not configured, naming the configured ones, and exits 2", async () => {
    const receiver = await refused(1);
    const replay = await runCommand(['events', 'replay', '--target', 'https://elsewhere.example.com/hook'], world.env);
    const backfill = await runCommand(['events', 'backfill', '--target', 'https://elsewhere.example.com/hook', '--since', '1h'], world.env);

    for (const run of [replay, backfill]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(
        new RegExp(`✗ the service refused: target "${named('https://elsewhere.example.com/hook')}" is not configured; the configured targets are "${named(receiver.url)}"`),
      );
    }
    expect(receiver.attempts).toBe(1);
  });

  it("shows the service's 400 for a --since past the retention period, and exits 2", async () => {
    const receiver = await refused(1);
    const run = await runCommand(['events', 'backfill', '--target', receiver.url, '--since', '3w', '--json'], world.env);

    expect(run.code).toBe(2);
    expect(run.json<{ ok: boolean; error: string }>()).toMatchObject({ ok: false, error: expect.stringMatching(/older than the retention period: events are kept 14 days/) as string });
  });

  it('refuses a --since it cannot read as a usage error, asking the service nothing', async () => {
    const receiver = await refused(1);
    const run = await runCommand(['events', 'backfill', '--target', receiver.url, '--since', 'last tuesday'], world.env);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--since <when>' argument 'last tuesday' is invalid. must be a duration such as 90m, 36h, 2d or 1w, or an ISO time");
    expect(receiver.attempts).toBe(1);
  });

  it('shows progress on a terminal while the service queues, and clears it', async () => {
    const receiver = await refused(1);
    receiver.recover();
    const run = await runCommand(['events', 'replay'], world.env, { tty: true });

    expect(run.code).toBe(0);
    expect(run.stderr.startsWith('\r\x1b[2K  queuing dead letters again...')).toBe(true);
    expect(run.stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect(run.stdout).toContain('Queued 1 dead letter again');
  });
});

describe('wa-onboard events --url', () => {
  let service: Harness;
  let receiver: EventReceiver;
  afterEach(async () => {
    await service.close();
    await receiver.close();
  });

  it('reaches the service where it listens when that is not PUBLIC_URL', async () => {
    receiver = await startEventReceiver();
    receiver.failWith(410);
    service = await startHarness({ env: { FORWARD_URL: receiver.url, FORWARD_SECRET } });
    expect((await service.metaPost(textBatch(1))).status).toBe(200);
    const letters = await eventually(async () => {
      const run = await runCommand(['events', 'dead-letters', '--json', '--url', service.url], service.env);
      return run.code === 0 && run.json<ListResult>().deadLetters.length === 1 ? run.json<ListResult>().deadLetters : undefined;
    });

    expect(letters[0]).toMatchObject({ eventId: keyOf(0), httpStatus: 410 });
    const unreachable = await runCommand(['events', 'dead-letters'], service.env);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toContain('✗ could not reach the service at https://onboard.example.com');
  });
});
