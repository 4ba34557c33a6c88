import { BackgroundLoop } from '../background-loop';
import { ClaimKeeper } from '../claim-keeper';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { CallStore, DeliveryJob } from '../store/call-store';
import { recordOutcome } from '../store/record-outcome';
import { DeliveryError } from './delivery-error';
import { sendDelivery } from './send';
import type { Clock, Mailer, SmsSender } from './ports';
import type { RetryPolicy } from './retry-policy';

export interface DeliveryWorkerDeps {
  store: CallStore;
  mailer: Mailer;
  sms: SmsSender;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  retry: RetryPolicy;
  /** How often to look for due deliveries when nothing kicks the worker. */
  pollMs: number;
  /** This instance, named on the deliveries it claims. */
  worker: string;
  /** How long a claim holds without renewal (see store/claims.ts). */
  leaseMs: number;
  /** How long an outcome is retried while the store fails transiently (default: recordOutcome's). */
  recordPatienceMs?: number;
}

/**
 * Sends what the store says is due, each (channel, recipient) on its own: a slow SMTP server never
 * holds back an SMS. Each delivery is claimed first, so of several instances only one sends it,
 * and the claim is renewed while the send lasts. Everything it knows comes from the store, so a
 * restart, or another instance once the claim's lease has passed, picks up where a crash stopped; a
 * delivery in flight during a crash is sent again (at least once).
 */
export class DeliveryWorker {
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly loop: BackgroundLoop;
  private readonly claims: ClaimKeeper;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    this.claims = new ClaimKeeper({
      worker: deps.worker,
      leaseMs: deps.leaseMs,
      clock: deps.clock,
      logger: deps.logger,
      name: 'deliveries',
      renew: (ids, claim) => deps.store.renewDeliveryClaims(ids, claim),
    });
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
    this.claims.start();
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
    this.claims.stop();
  }

  private async startDue(): Promise<void> {
    // Claimed ones (in flight here or elsewhere) are left out, so a hundred sends stuck on one
    // channel never keep another channel's due deliveries from starting. A failure rejects: the
    // loop tries again, sooner when the store's trouble is transient.
    const due: DeliveryJob[] = await this.deps.store.claimDueDeliveries(this.claims.claim(), 100);
    const { logger } = this.deps;
    for (const job of due) {
      if (this.inFlight.has(job.id)) continue;
      this.claims.hold(job.id);
      const attempt = this.attempt(job)
        .catch((error: unknown) => {
          // The send happened (or not) but its outcome could not be stored: the delivery stays
          // pending and is tried again, so it goes out at least once.
          logger.error({ delivery: job.id, err: messageOf(error) }, 'could not record a delivery attempt');
        })
        .finally(() => {
          // An outcome that could not be stored leaves the claim to run out: tried again then.
          this.claims.drop(job.id);
          this.inFlight.delete(job.id);
          this.kick();
        });
      this.inFlight.set(job.id, attempt);
    }
  }

  private async untilNextDue(): Promise<number | null> {
    let next: Date | null;
    try {
      next = await this.deps.store.nextDeliveryDueAt();
    } catch {
      return null; // the store is away: look again at the next poll
    }
    const wait = next ? next.getTime() - this.deps.clock.now().getTime() : Infinity;
    // Due now means in flight (tick just started everything due); its end kicks us again.
    return wait <= 0 ? null : wait;
  }

  private async attempt(job: DeliveryJob): Promise<void> {
    const { store, clock, logger, metrics } = this.deps;
    const log = logger.child({ delivery: job.id, kind: job.kind, channel: job.channel, callSid: job.call.callSid });
    try {
      await sendDelivery(job, this.deps);
    } catch (error) {
      await this.failed(job, error instanceof DeliveryError ? error : new DeliveryError(messageOf(error), { permanent: false }), log);
      return;
    }
    // Sent: a failure to record it from here on must never look like a failed send (it would be sent again).
    await recordOutcome(() => store.markDeliverySent(job.id, clock.now()), this.deps.recordPatienceMs);
    metrics.deliveryAttempted(job.channel, 'sent');
    log.info({ attempts: job.attempts + 1 }, 'delivered');
  }

  private async failed(job: DeliveryJob, failure: DeliveryError, log: Logger): Promise<void> {
    const { store, clock, metrics, retry } = this.deps;
    const attempts = job.attempts + 1;
    if (failure.permanent || attempts >= retry.maxAttempts) {
      const reason = failure.permanent ? failure.message : `gave up after ${attempts} attempts: ${failure.message}`;
      await recordOutcome(() => store.markDeliveryFailed(job.id, reason), this.deps.recordPatienceMs);
      metrics.deliveryAttempted(job.channel, 'failed');
      log.error({ attempts, reason }, 'delivery failed for good');
    } else {
      const next = new Date(clock.now().getTime() + retry.delayMs(attempts));
      await recordOutcome(() => store.markDeliveryRetry(job.id, failure.message, next), this.deps.recordPatienceMs);
      metrics.deliveryAttempted(job.channel, 'retry');
      log.warn({ attempts, reason: failure.message, retryAt: next.toISOString() }, 'delivery failed; will retry');
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
