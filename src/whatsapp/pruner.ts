import { BackgroundLoop } from '../background-loop';
import type { Clock } from '../delivery/ports';
import type { Logger } from '../observability/logger';
import type { WebhookStore } from '../store/webhook-store';
import { forwardOutcome } from './webhook-counters';

const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Deletes stored POSTs, events and dedupe keys older than the retention period, hourly and in
 * small batches, so the database stops growing once it holds one retention period of traffic.
 * Every instance runs one; on a shared database one prunes at a time and the others skip.
 */
export class InboxPruner {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly deps: { webhooks: WebhookStore; clock: Clock; logger: Logger; retentionDays: number },
  ) {
    this.loop = new BackgroundLoop({ name: 'inbox pruning', logger: deps.logger, pollMs: HOUR_MS, pass: () => this.pass() });
  }

  start(): void {
    this.loop.start();
  }

  async runNow(): Promise<void> {
    await this.loop.runNow();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async pass(): Promise<null> {
    const before = new Date(this.deps.clock.now().getTime() - this.deps.retentionDays * DAY_MS);
    const total = { inbox: 0, events: 0, expiredForwards: 0 };
    for (;;) {
      const pruned = await this.deps.webhooks.prune(before, (target) => forwardOutcome('expired', target));
      total.inbox += pruned.inbox;
      total.events += pruned.events;
      total.expiredForwards += pruned.expiredForwards;
      if (pruned.done) break;
      await new Promise((resolve) => setImmediate(resolve)); // let requests in between batches
    }
    if (total.expiredForwards > 0) {
      this.deps.logger.error({ ...total, before: before.toISOString() }, 'gave up forwarding events older than the retention period');
    } else if (total.inbox + total.events > 0) {
      this.deps.logger.info({ ...total, before: before.toISOString() }, 'pruned the webhook inbox');
    }
    return null;
  }
}
