import type { Logger } from '../observability/logger';
import { DAY_MS, inBatches, type RetentionTask } from '../retention-pruner';
import type { WebhookStore } from '../store/webhook-store';
import { forwardOutcome } from './webhook-counters';

/**
 * Deletes stored POSTs, events and dedupe keys older than INBOX_RETENTION_DAYS, in small batches,
 * so the database stops growing once it holds one retention period of traffic.
 */
export function inboxRetention(deps: { webhooks: WebhookStore; logger: Logger; retentionDays: number }): RetentionTask {
  return {
    async prune(now) {
      const before = new Date(now.getTime() - deps.retentionDays * DAY_MS);
      const total = { inbox: 0, events: 0, expiredForwards: 0 };
      await inBatches(
        () => deps.webhooks.prune(before, (target) => forwardOutcome('expired', target)),
        (pruned) => {
          total.inbox += pruned.inbox;
          total.events += pruned.events;
          total.expiredForwards += pruned.expiredForwards;
        },
      );
      if (total.expiredForwards > 0) {
        deps.logger.error({ ...total, before: before.toISOString() }, 'gave up forwarding events older than the retention period');
      } else if (total.inbox + total.events > 0) {
        deps.logger.info({ ...total, before: before.toISOString() }, 'pruned the webhook inbox');
      }
    },
  };
}
