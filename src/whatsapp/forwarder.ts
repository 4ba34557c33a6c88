import { BackgroundLoop } from '../background-loop';
import { ClaimKeeper } from '../claim-keeper';
import type { Clock } from '../delivery/ports';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { recordOutcome } from '../store/record-outcome';
import type { ForwardJob, WebhookStore } from '../store/webhook-store';
import type { IntakePressure } from './intake-pressure';
import { ForwardError, type Sink } from './sinks';
import { targetName } from './target-name';
import { forwardOutcome } from './webhook-counters';

/** Lane heads claimed per pass: more lanes than this wait for the next pass (a lane's end kicks one). */
const HEADS_PER_PASS = 500;
/**
 * While Meta's POSTs arrive and the thread is more than half busy, a lane waits up to this long
 * before its next event. Unpaced, the forwarder sending a 100,000-event backfill (npm run
 * bench:backfill) filled every turn of the event loop: the webhook's p99 went from 27 to 150–280 ms
 * at 250 POSTs/s, and the intake answered 1,500 POSTs/s at full load instead of 6,000. Bounded, so
 * forwarding never stops while a burst goes on.
 */
const GIVE_WAY_MAX_MS = 100;

export interface ForwarderDeps {
  webhooks: WebhookStore;
  sinks: Sink[];
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Delay before the next attempt after `attempt` failed ones. */
  backoffMs: (attempt: number) => number;
  /**
   * How long a forward is retried, from when it was queued (or queued again by a replay), before a
   * failed attempt gives it up as expired: it is then kept as a dead letter (FORWARD_GIVE_UP_HOURS).
   */
  giveUpMs: number;
  pollMs: number;
  /** This instance, named on the lanes it claims. */
  worker: string;
  /** How long a claim holds without renewal (see store/claims.ts). */
  leaseMs: number;
  /** How long an outcome is retried while the store fails transiently (default: recordOutcome's). */
  recordPatienceMs?: number;
  /** Whether Meta's POSTs are arriving and the thread is pressed: a lane then gives way before its next event. */
  pressure?: IntakePressure;
}

/**
 * Sends every stored event to every sink, at least once, in arrival order per lane (a phone
 * number): each lane of each sink has one event in flight at a time, across all instances (the
 * lane's head is claimed), and a failed event holds its lane until it goes through (retried with
 * backoff, across restarts) or is given up: refused for good, or still failing past the give-up age. Lanes and sinks never wait on one another.
 */
export class Forwarder {
  private readonly loop: BackgroundLoop;
  private readonly sinks: Map<string, Sink>;
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly claims: ClaimKeeper;
  private orphansChecked = false;

  constructor(private readonly deps: ForwarderDeps) {
    this.sinks = new Map(deps.sinks.map((s) => [s.target, s]));
    this.claims = new ClaimKeeper({
      worker: deps.worker,
      leaseMs: deps.leaseMs,
      clock: deps.clock,
      logger: deps.logger,
      name: 'forwards',
      renew: (ids, claim) => deps.webhooks.renewForwardClaims(ids, claim),
    });
    this.loop = new BackgroundLoop({ name: 'forwarding', logger: deps.logger, pollMs: deps.pollMs, pass: () => this.pass() });
  }

  get targets(): string[] {
    return [...this.sinks.keys()];
  }

  start(): void {
    if (this.sinks.size === 0) return;
    this.claims.start();
    this.loop.start();
  }

  kick(): void {
    this.loop.kick();
  }

  /** Resolves when no lane is sending (tests, graceful stop). */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) await Promise.allSettled([...this.lanes.values()]);
  }

  /** Stops sending: forwards in flight are cut short and stay owed, to go out after a restart. */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.stopping.abort();
    await this.idle();
    this.claims.stop();
  }

  private async pass(): Promise<number | null> {
    const { webhooks, clock } = this.deps;
    if (!this.orphansChecked) await this.warnOfOrphans();
    // Lanes in flight here are claimed, so they are not handed out again; nor are other instances'.
    const heads = await webhooks.claimForwardHeads(this.targets, this.claims.claim(), HEADS_PER_PASS);
    for (const head of heads) {
      const lane = `${head.target}\n${head.lane}`;
      // A lane whose last run is still ending (its claim already released) runs again after it.
      const run: Promise<void> = (this.lanes.get(lane) ?? Promise.resolve())
        .then(() => this.runLane(head))
        .catch((error: unknown) => {
          // The outcome could not be stored: the forward stays pending, and its claim runs out
          // (a lease) before anyone sends it again, so a full disk does not turn into a storm of
          // copies sent to the target.
          this.deps.logger.error({ target: targetName(head.target), err: String(error) }, 'could not record a forward; the lane waits for its claim to run out');
        })
        .finally(() => {
          if (this.lanes.get(lane) === run) this.lanes.delete(lane);
          this.kick();
        });
      this.lanes.set(lane, run);
    }
    const next = await webhooks.nextForwardDueAt(this.targets);
    const wait = next ? next.getTime() - clock.now().getTime() : Infinity;
    // Due now means in flight: a lane's end kicks the loop. Otherwise sleep until due (or a claim runs out).
    return wait <= 0 || wait === Infinity ? null : wait;
  }

  /** Events owed to a target that is no longer configured are kept, and said once at start. */
  private async warnOfOrphans(): Promise<void> {
    this.orphansChecked = true;
    const orphaned = (await this.deps.webhooks.pendingTargets()).filter((t) => !this.sinks.has(t));
    for (const target of orphaned) {
      this.deps.logger.warn(
        { target: targetName(target) },
        'events are still owed to a target that is no longer configured: add it back to FORWARD_URL to send them',
      );
    }
  }

  /** Sends a lane's events one after another until it is empty or one has to wait for a retry. */
  private async runLane(first: ForwardJob): Promise<void> {
    let job: ForwardJob | null = first;
    while (job && !this.stopping.signal.aborted) {
      this.claims.hold(job.id);
      try {
        if (!(await this.attempt(job))) return;
      } finally {
        this.claims.drop(job.id);
      }
      await this.deps.pressure?.giveWay(GIVE_WAY_MAX_MS);
      job = await this.deps.webhooks.claimNextInLane(job.target, job.lane, this.claims.claim());
    }
    // Stopping with a claim in hand: give it up, so the next start (or another instance) sends it at once.
    if (job) await this.deps.webhooks.releaseForwardClaim(job.id, this.claims.worker);
  }

  /** True when the lane may move on (sent, or refused for good). Store errors reject. */
  private async attempt(job: ForwardJob): Promise<boolean> {
    const { webhooks, clock, logger, metrics } = this.deps;
    const sink = this.sinks.get(job.target);
    if (!sink) throw new Error(`no sink for ${targetName(job.target)}`);
    const target = job.target;
    try {
      await sink.deliver(job, this.stopping.signal);
    } catch (error) {
      if (this.stopping.signal.aborted) {
        // Not the target's fault: the event stays owed as it was, and goes out after the restart.
        logger.info({ target: targetName(target), event: job.eventId }, 'a forward was cut short by the stop; it goes out again after the restart');
        await webhooks.releaseForwardClaim(job.id, this.claims.worker);
        return false;
      }
      return this.failed(job, error instanceof ForwardError ? error : new ForwardError(String(error), { permanent: false }));
    }
    await recordOutcome(() => webhooks.markForwardSent(job.id, clock.now(), forwardOutcome('sent', target)), this.deps.recordPatienceMs);
    metrics.forwardAttempted(target, 'sent');
    logger.debug({ target: targetName(target), event: job.eventId, attempts: job.attempts + 1 }, 'forwarded');
    return true;
  }

  private async failed(job: ForwardJob, failure: ForwardError): Promise<boolean> {
    const { webhooks, clock, logger, metrics } = this.deps;
    const target = job.target;
    const now = clock.now();
    const expired = now.getTime() - job.queuedAt.getTime() >= this.deps.giveUpMs;
    if (failure.permanent || expired) {
      const status = failure.permanent ? 'rejected' : 'expired';
      const givenUp = { status, error: failure.message, httpStatus: failure.httpStatus, at: now } as const;
      await recordOutcome(() => webhooks.markForwardGivenUp(job.id, givenUp, forwardOutcome(status, target)), this.deps.recordPatienceMs);
      metrics.forwardAttempted(target, status);
      logger.error(
        { target: targetName(target), event: job.eventId, reason: failure.message },
        failure.permanent
          ? 'the target refused an event for good; it is kept as a dead letter (GET /api/dead-letters)'
          : 'gave up forwarding an event after FORWARD_GIVE_UP_HOURS of failures; it is kept as a dead letter (GET /api/dead-letters)',
      );
      return true;
    }
    const next = new Date(now.getTime() + this.deps.backoffMs(job.attempts + 1));
    await recordOutcome(() => webhooks.markForwardRetry(job.id, failure.message, next), this.deps.recordPatienceMs);
    metrics.forwardAttempted(target, 'retry');
    logger.warn(
      { target: targetName(target), event: job.eventId, attempts: job.attempts + 1, reason: failure.message, retryAt: next.toISOString() },
      'could not forward an event; will retry',
    );
    return false;
  }
}
