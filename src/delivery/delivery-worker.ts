import { BackgroundLoop } from '../background-loop';
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
  private readonly loop: BackgroundLoop;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    this.loop = new BackgroundLoop({
      name: 'delivery worker',
      logger: deps.logger,
      pollMs: deps.pollMs,
      pass: async () => {
        await this.startDue();
        return this.untilNextDue();
      },
    });
  }

  start(): void {
    this.loop.start();
  }

  /** New work was stored: look now rather than at the next poll. */
  kick(): void {
    this.loop.kick();
  }

  /** Starts every due delivery not already in flight, without waiting for them to finish. */
  async tick(): Promise<void> {
    await this.loop.runNow();
  }

  /** Resolves when nothing is in flight (tests, graceful stop). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
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

  private async untilNextDue(): Promise<number | null> {
    let next: Date | null;
    try {
      next = await this.deps.store.nextDueAt();
    } catch {
      return null; // the store is away; startDue() has logged it, look again at the next poll
    }
    const wait = next ? next.getTime() - this.deps.clock.now().getTime() : Infinity;
    // Due now means in flight (tick just started everything due); its end kicks us again.
    return wait <= 0 ? null : wait;
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
