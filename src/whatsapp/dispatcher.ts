import { BackgroundLoop } from '../background-loop';
import type { Clock } from '../delivery/ports';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { DispatchOutcome, InboxItem, WebhookStore } from '../store/webhook-store';
import { dispatchLookups, planDispatch } from './dispatch-plan';
import type { WhatsAppEvent } from './event';
import type { IntakePressure } from './intake-pressure';
import { readPost } from './read-post';

const MAX_EVENTS_PER_TRANSACTION = 2_000;
/**
 * POSTs per batch while Meta's POSTs keep arriving. A batch holds the thread for as long as it takes
 * (SQLite is synchronous here), and every request that arrives meanwhile waits: smaller batches
 * keep that wait, and so the webhook's p99, short. When the burst is over, batches are full size.
 */
const BATCH_DURING_BURST = 20;
/**
 * While POSTs keep arriving, dispatch rests this many times as long as its last batch took: it takes
 * at most a tenth of the thread, and catches up at full speed once the burst is over. At a quarter
 * the intake answered 8,400 POSTs/s on SQLite (110 µs of CPU each), at a tenth 10,900 (85 µs): most
 * of what a POST costs beyond Node's HTTP is its dispatch (bench/README.md).
 */
const REST_PER_BATCH_MS = 9;

export interface DispatcherDeps {
  webhooks: WebhookStore;
  /** Every event gets one forward per target. */
  targets: string[];
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** New events were stored: forwarding can begin. */
  onEvents: () => void;
  pollMs: number;
  /** Stored POSTs read per transaction. */
  batchSize?: number;
  /** Whether Meta's POSTs are arriving: dispatch then takes smaller batches and rests between them. */
  pressure: IntakePressure;
}

/**
 * Turns stored POSTs into events, in arrival order: every entry, change and item, deduplicated
 * (`planDispatch`). Works only from what was stored, so after a crash it picks up the POSTs that
 * were acknowledged but not yet dispatched; on a shared database the instances take turns, one
 * batch at a time, so the order holds across them.
 */
export class WebhookDispatcher {
  private readonly loop: BackgroundLoop;
  private stopping = false;

  constructor(private readonly deps: DispatcherDeps) {
    this.loop = new BackgroundLoop({ name: 'webhook dispatch', logger: deps.logger, pollMs: deps.pollMs, pass: () => this.pass() });
  }

  start(): void {
    this.loop.start();
  }

  /** A POST was stored: dispatch soon. */
  kick(): void {
    this.loop.kick();
  }

  /** Dispatches everything stored so far (tests, and `stop()` through the loop). */
  async runNow(): Promise<void> {
    await this.loop.runNow();
  }

  /** Finishes the batch in hand; what is left stays pending for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop.stop();
  }

  private async pass(): Promise<null> {
    const { webhooks, targets, clock, metrics } = this.deps;
    while (!this.stopping) {
      const started = Date.now();
      const full = this.deps.batchSize ?? 100;
      const result = await webhooks.dispatchInbox(this.deps.pressure.intakeBusy() ? Math.min(BATCH_DURING_BURST, full) : full, {
        read: (items) => this.outcomesOf(items),
        lookups: dispatchLookups,
        plan: (outcomes, known) => planDispatch(outcomes, known, targets, clock.now()),
      });
      if (result.posts === 0 || !result.plan) return null;
      const { plan } = result;
      // Rehearsals are not Meta's traffic: the metrics count Meta's alone (plan.duplicates and invalid are Meta's).
      metrics.eventsDispatched({ created: plan.created.filter((e) => !e.rehearsal).length, duplicates: plan.duplicates, invalidPosts: plan.invalid });
      this.report(result.outcomes, plan.created, plan.duplicates);
      if (plan.created.length > 0) this.deps.onEvents();
      await this.yieldToIntake(Date.now() - started);
    }
    return null;
  }

  /**
   * Between batches, requests waiting on the event loop go first. While POSTs keep arriving, dispatch
   * takes at most a tenth of the thread (REST_PER_BATCH_MS): the intake answers Meta, dispatch
   * catches up once the burst is over.
   */
  private async yieldToIntake(batchMs: number): Promise<void> {
    if (this.deps.pressure.intakeBusy()) await new Promise((resolve) => setTimeout(resolve, Math.max(1, REST_PER_BATCH_MS * batchMs)));
    else await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Outcomes of the oldest items, stopping once they hold MAX_EVENTS_PER_TRANSACTION events: a
   * hundred full batches of 1000 would otherwise hold the database (and the event loop) for
   * seconds. The rest stay pending for the next round.
   */
  private outcomesOf(items: InboxItem[]): DispatchOutcome[] {
    const outcomes: DispatchOutcome[] = [];
    let events = 0;
    for (const item of items) {
      if (outcomes.length > 0 && events >= MAX_EVENTS_PER_TRANSACTION) break;
      const outcome = readPost(item);
      outcomes.push(outcome);
      if ('events' in outcome) events += outcome.events.length;
    }
    return outcomes;
  }

  /** Contents are never logged above debug; failures are, with what they mean and what to do. */
  private report(outcomes: DispatchOutcome[], created: WhatsAppEvent[], duplicates: number): void {
    const { logger } = this.deps;
    for (const o of outcomes) {
      if ('problem' in o) logger.warn({ inbox: o.inboxId, problem: o.problem }, 'stored a webhook POST we cannot read (kept, flagged)');
    }
    for (const event of created) {
      const where = { event: event.id, kind: event.kind, type: event.type, phoneNumberId: event.phoneNumberId };
      if (event.rehearsal) {
        // A sample error from `wa-onboard simulate webhook` is no failure of WhatsApp's.
        logger.info({ ...where, rehearsal: true, errors: event.errors?.map((e) => e.code) }, 'dispatched a rehearsal event');
      } else if (event.errors && event.errors.length > 0) {
        const errors = event.errors.map((e) => ({ code: e.code, title: e.title, meaning: e.meaning, action: e.action }));
        logger.warn({ ...where, errors }, `WhatsApp reported ${event.kind === 'status' ? 'a failed message' : 'an error'}`);
      } else {
        logger.debug(where, 'event');
      }
    }
    logger.info({ posts: outcomes.length, events: created.length, duplicates }, 'dispatched webhook events');
  }
}
