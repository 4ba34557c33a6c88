import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { DeliveryJob, Store } from '../store/store';
import { DeliveryError } from './delivery-error';
import { emailFor, smsFor } from './messages';
import type { Clock, Mailer, SmsSender } from './ports';
import type { RetryPolicy } from './retry-policy';

export interface DeliveryWorkerDeps {
  store: Store;
  mailer: Mailer;
  sms: SmsSender;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  retry: RetryPolicy;
  /** How often to look for due deliveries when nothing kicks the worker. */
  pollMs: number;
}

/**
 * Sends what the store says is due, each (channel, recipient) on its own: a slow SMTP server never
 * holds back an SMS. Everything it knows comes from the store, so a restart picks up where a crash
 * stopped; a delivery in flight during a crash is sent again (at least once).
 */
export class DeliveryWorker {
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = 0;
  private ticking = false;
  private tickAgain = false;
  private stopped = true;

  constructor(private readonly deps: DeliveryWorkerDeps) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** New work was stored: look now rather than at the next poll. */
  kick(): void {
    if (this.stopped) return;
    this.schedule(0);
  }

  /**
   * Starts every due delivery not already in flight, without waiting for them to finish. Runs
   * one at a time: a request that comes in meanwhile runs once more right after.
   */
  async tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    try {
      do {
        this.tickAgain = false;
        await this.startDue();
      } while (this.tickAgain);
    } finally {
      this.ticking = false;
    }
  }

  /** Resolves when nothing is in flight (tests, graceful stop). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  private async startDue(): Promise<void> {
    const { store, clock, logger } = this.deps;
    let due: DeliveryJob[];
    try {
      // In-flight ones are left out of the query, so a hundred sends stuck on one channel never
      // keep another channel's due deliveries from starting.
      due = await store.dueDeliveries(clock.now(), 100, [...this.inFlight.keys()]);
    } catch (error) {
      logger.error({ err: messageOf(error) }, 'could not read due deliveries; will look again');
      return;
    }
    for (const job of due) {
      if (this.inFlight.has(job.id)) continue;
      const attempt = this.attempt(job)
        .catch((error: unknown) => {
          // The send happened (or not) but its outcome could not be stored: the delivery stays
          // pending and is tried again, so it goes out at least once.
          logger.error({ delivery: job.id, err: messageOf(error) }, 'could not record a delivery attempt');
        })
        .finally(() => {
          this.inFlight.delete(job.id);
          this.kick();
        });
      this.inFlight.set(job.id, attempt);
    }
  }

  /** Wakes the worker in `delayMs`, unless it is already due to wake sooner. */
  private schedule(delayMs: number): void {
    const wakeAt = Date.now() + delayMs;
    if (this.timer && this.wakeAt <= wakeAt) return;
    clearTimeout(this.timer);
    this.wakeAt = wakeAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick()
        .then(() => this.untilNextDue())
        .then((ms) => {
          if (!this.stopped) this.schedule(ms);
        })
        .catch((error: unknown) => this.deps.logger.error({ err: messageOf(error) }, 'delivery worker error'));
    }, delayMs);
    // Never keeps the process alive on its own: the HTTP server does, and stop() drains.
    this.timer.unref();
  }

  private async untilNextDue(): Promise<number> {
    let next: Date | null;
    try {
      next = await this.deps.store.nextDueAt();
    } catch {
      return this.deps.pollMs; // the store is away; startDue() has logged it, look again later
    }
    const wait = next ? next.getTime() - this.deps.clock.now().getTime() : Infinity;
    // Due now means in flight (tick just started everything due); its end kicks us again.
    return wait <= 0 ? this.deps.pollMs : Math.min(this.deps.pollMs, wait);
  }

  private async attempt(job: DeliveryJob): Promise<void> {
    const { store, clock, logger, metrics, retry } = this.deps;
    const log = logger.child({ delivery: job.id, kind: job.kind, channel: job.channel, callSid: job.call.callSid });
    try {
      if (job.channel === 'email') await this.deps.mailer.send(emailFor(job));
      else await this.deps.sms.send(smsFor(job));
      await store.markDeliverySent(job.id, clock.now());
      metrics.deliveryAttempted(job.channel, 'sent');
      log.info({ attempts: job.attempts + 1 }, 'delivered');
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError(messageOf(error), { permanent: false });
      const attempts = job.attempts + 1;
      if (failure.permanent || attempts >= retry.maxAttempts) {
        const reason = failure.permanent ? failure.message : `gave up after ${attempts} attempts: ${failure.message}`;
        await store.markDeliveryFailed(job.id, reason);
        metrics.deliveryAttempted(job.channel, 'failed');
        log.error({ attempts, reason }, 'delivery failed for good');
      } else {
        const next = new Date(clock.now().getTime() + retry.delayMs(attempts));
        await store.markDeliveryRetry(job.id, failure.message, next);
        metrics.deliveryAttempted(job.channel, 'retry');
        log.warn({ attempts, reason: failure.message, retryAt: next.toISOString() }, 'delivery failed; will retry');
      }
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
