import { BadRequestError } from '../http/errors';
import type { BackfillPosition } from '../store/webhook-store';
import { laneOf } from './dispatch-plan';
import type { WhatsAppEvent } from './event';
import { configuredTarget, inBatches, REQUEUE_BATCH, type RedeliveryDeps } from './redelivery';
import { targetName } from './target-name';

const DAY_MS = 24 * 60 * 60_000;

export interface BackfillRequest {
  target: string;
  /** Every stored event received at or after this time. */
  since: Date;
}

/**
 * Sends a configured target every stored event received since `since` that it has neither had nor
 * is owed: for a target added to FORWARD_URL later, or one that lost its own data. A dead letter of
 * it is queued again. In the order the events were received, lane by lane, each with its usual
 * Idempotency-Key; queued in batches, so a million events never hold the thread.
 */
export async function backfill(deps: RedeliveryDeps, request: BackfillRequest): Promise<{ queued: number }> {
  const target = configuredTarget(request.target, deps.targets);
  const at = deps.clock.now();
  requireWithinRetention(request.since, at, deps.retentionDays);
  let queued = 0;
  let after: BackfillPosition | null = null;
  await inBatches(async () => {
    const batch = await deps.webhooks.backfillForwards(
      { target, since: request.since, after, limit: REQUEUE_BATCH, at },
      // The lane is the domain's to say, as when the event was dispatched.
      (event) => laneOf(JSON.parse(event) as WhatsAppEvent),
    );
    queued += batch.queued;
    if (batch.queued > 0) deps.onQueued();
    after = batch.next;
    return after !== null;
  });
  deps.metrics.forwardsRequeued(target, 'backfill', queued);
  deps.logger.info({ target: targetName(target), since: request.since.toISOString(), queued }, 'backfill queued the events the target had not received');
  return { queued };
}

/** A backfill reaches back no further than what is kept, and not into the future. */
function requireWithinRetention(since: Date, now: Date, retentionDays: number): void {
  if (since.getTime() > now.getTime()) throw new BadRequestError(`since is in the future (${since.toISOString()}; it is now ${now.toISOString()})`);
  const oldest = new Date(now.getTime() - retentionDays * DAY_MS);
  if (since.getTime() < oldest.getTime()) {
    throw new BadRequestError(
      `since is older than the retention period: events are kept ${retentionDays} days (INBOX_RETENTION_DAYS), so since must be ${oldest.toISOString()} or later`,
    );
  }
}
