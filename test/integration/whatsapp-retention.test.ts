import { startEventReceiver } from '../../src/embedded/event-receiver';
import { eventually, startHarness } from '../helpers/harness';
import { inboxRows } from '../helpers/inbox-rows';
import { fixtureWire } from '../helpers/meta-wire';

const DAY_MS = 24 * 60 * 60_000;

/** A clock the test moves forward, as the days of a retention period pass. */
function movableClock() {
  let offsetMs = 0;
  return { now: () => new Date(Date.now() + offsetMs), advance: (ms: number) => (offsetMs += ms) };
}

describe('the retention period', () => {
  it('prunes stored POSTs and events past INBOX_RETENTION_DAYS, and keeps what is younger', async () => {
    const clock = movableClock();
    const h = await startHarness({ clock, env: { INBOX_RETENTION_DAYS: '10' } });
    try {
      expect((await h.metaPost(fixtureWire('text'))).status).toBe(200);
      await h.service.dispatcher.runNow();
      clock.advance(9 * DAY_MS);
      expect((await h.metaPost(fixtureWire('image'))).status).toBe(200);
      await h.service.dispatcher.runNow();

      clock.advance(2 * DAY_MS); // the text is 11 days old, the image 2
      await h.service.pruner.runNow();

      expect((await h.events()).map((e) => e.type)).toEqual(['image']);
      expect((await inboxRows(h.store))).toHaveLength(1);
      // Totals outlive pruning.
      expect((await h.webhookOverview()).counts).toMatchObject({ stored: 2, events: 2 });
    } finally {
      await h.close();
    }
  });

  it('keeps dedupe keys for Meta\'s whole 7-day retry window', async () => {
    const clock = movableClock();
    const h = await startHarness({ clock, env: { INBOX_RETENTION_DAYS: '8' } });
    try {
      await h.metaPost(fixtureWire('text'));
      await h.service.dispatcher.runNow();
      clock.advance(7 * DAY_MS);
      await h.service.pruner.runNow();
      await h.metaPost(fixtureWire('text')); // Meta's last retry
      await h.service.dispatcher.runNow();
      expect((await h.webhookOverview()).counts).toMatchObject({ events: 1, duplicates: 1 });
    } finally {
      await h.close();
    }
  });

  it('counts a forward still owed when its event is pruned as expired, and says so', async () => {
    const clock = movableClock();
    const receiver = await startEventReceiver();
    // The one attempt hangs: the forward is still owed (in flight) when the pruner runs, however
    // long it is past FORWARD_GIVE_UP_HOURS (a failed attempt would make it a dead letter first).
    receiver.script(['hang']);
    const h = await startHarness({ clock, env: { FORWARD_URL: receiver.url, FORWARD_SECRET: 'forward-secret-0123456789' } });
    try {
      await h.metaPost(fixtureWire('text'));
      await eventually(() => (receiver.attempts >= 1 ? true : undefined));
      clock.advance(15 * DAY_MS);
      await h.service.pruner.runNow();

      const [view] = (await h.webhookOverview()).forwarding;
      expect(view).toMatchObject({ backlog: 0, expired: 1, sent: 0 });
      expect(h.logs.some((l) => l.includes('gave up forwarding events older than the retention period'))).toBe(true);
    } finally {
      await h.close();
      await receiver.close();
    }
  });
});
