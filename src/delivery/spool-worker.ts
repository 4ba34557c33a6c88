import { BackgroundLoop } from '../background-loop';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { CallStore, DeliveryJob, Recipient } from '../store/call-store';
import { StoreError } from '../store/store-error';
import { recipientKey, type CodeSpool, type SpooledCode } from '../voice/code-spool';
import { DeliveryError } from './delivery-error';
import type { Clock, Mailer, SmsSender } from './ports';
import type { RetryPolicy } from './retry-policy';
import { sendDelivery } from './send';

export interface SpoolWorkerDeps {
  spool: CodeSpool;
  store: Pick<CallStore, 'captureCode'>;
  mailer: Mailer;
  sms: SmsSender;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  retry: RetryPolicy;
  pollMs: number;
  /** Deliveries were stored (a spooled code moved into the database): the delivery worker takes over. */
  onStored: () => void;
}

/**
 * Delivers the codes the spool holds and moves them into the database once it answers. Each pass
 * first tries the database: a code it takes is removed from the spool, with the deliveries already
 * sent from here recorded as sent, so the delivery worker sends only the rest. While the database
 * still refuses, each recipient is sent to from the spool, retried on its own with backoff, and
 * what went out is written to the spool file before anything else happens.
 */
export class SpoolWorker {
  private readonly loop: BackgroundLoop;

  constructor(private readonly deps: SpoolWorkerDeps) {
    this.loop = new BackgroundLoop({ name: 'spool', logger: deps.logger, pollMs: deps.pollMs, pass: () => this.pass() });
  }

  start(): void {
    this.loop.start();
  }

  kick(): void {
    this.loop.kick();
  }

  async runNow(): Promise<void> {
    await this.loop.runNow();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async pass(): Promise<number | null> {
    let soonest = Infinity;
    for (const code of await this.deps.spool.list()) {
      if (await this.reconcile(code)) continue;
      soonest = Math.min(soonest, await this.deliver(code));
    }
    if (soonest === Infinity) return null;
    return Math.max(0, soonest - this.deps.clock.now().getTime());
  }

  /** Moves a code into the database; false while the database still refuses it. */
  private async reconcile(code: SpooledCode): Promise<boolean> {
    const { store, clock, logger } = this.deps;
    const deliveries = code.recipients.map((r) => {
      const sentAt = code.progress[recipientKey(r)]?.sentAt;
      return sentAt ? { ...r, sentAt: new Date(sentAt) } : r;
    });
    try {
      const { created } = await store.captureCode(code.captured, deliveries, clock.now());
      await this.deps.spool.remove(code);
      logger.info({ callSid: code.captured.call.callSid, created }, 'a spooled code is in the database now');
      if (created) this.deps.onStored();
      return true;
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      return false;
    }
  }

  /** Sends to each recipient due; returns when the next one is due (Infinity: all sent or given up). */
  private async deliver(code: SpooledCode): Promise<number> {
    const { clock, retry } = this.deps;
    let soonest = Infinity;
    for (const recipient of code.recipients) {
      const key = recipientKey(recipient);
      const progress = code.progress[key] ?? { attempts: 0 };
      if (progress.sentAt || progress.attempts >= retry.maxAttempts) continue;
      const dueAt = progress.nextAttemptAt ? Date.parse(progress.nextAttemptAt) : 0;
      if (dueAt > clock.now().getTime()) {
        soonest = Math.min(soonest, dueAt);
        continue;
      }
      code.progress[key] = await this.attempt(code, recipient, progress);
      await this.deps.spool.update(code);
      const next = code.progress[key]?.nextAttemptAt;
      if (next) soonest = Math.min(soonest, Date.parse(next));
    }
    return soonest;
  }

  private async attempt(code: SpooledCode, recipient: Recipient, progress: { attempts: number }) {
    const { clock, logger, metrics, retry } = this.deps;
    const attempts = progress.attempts + 1;
    const log = logger.child({ callSid: code.captured.call.callSid, channel: recipient.channel, spooled: true });
    try {
      await sendDelivery(jobOf(code, recipient, progress.attempts), this.deps);
      metrics.deliveryAttempted(recipient.channel, 'sent');
      log.info({ attempts }, 'delivered from the spool');
      return { attempts, sentAt: clock.now().toISOString() };
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError(String(error), { permanent: false });
      const giveUp = failure.permanent || attempts >= retry.maxAttempts;
      metrics.deliveryAttempted(recipient.channel, giveUp ? 'failed' : 'retry');
      log.warn({ attempts, reason: failure.message }, giveUp ? 'a spooled delivery failed for good' : 'a spooled delivery failed; will retry');
      return {
        attempts: giveUp ? retry.maxAttempts : attempts,
        lastError: failure.message,
        nextAttemptAt: giveUp ? undefined : new Date(clock.now().getTime() + retry.delayMs(attempts)).toISOString(),
      };
    }
  }
}

function jobOf(code: SpooledCode, recipient: Recipient, attempts: number): DeliveryJob {
  const { captured } = code;
  return {
    id: 0,
    kind: 'code',
    channel: recipient.channel,
    recipient: recipient.to,
    attempts,
    createdAt: captured.receivedAt,
    call: { ...captured.call, recordingUrl: null, heard: [] },
    code: { code: captured.code, source: captured.source, receivedAt: captured.receivedAt },
  };
}
