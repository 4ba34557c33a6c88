import type { DeadLetterStatus } from '../store/webhook-store';
import { configuredTarget, inBatches, REQUEUE_BATCH, type RedeliveryDeps } from './redelivery';
import { targetName } from './target-name';

/** Which dead letters to send again; all of them (of the configured targets) when nothing is named. */
export interface ReplayRequest {
  target?: string;
  eventIds?: string[];
  status?: DeadLetterStatus;
}

/**
 * Queues the dead letters asked for again, of configured targets only: each with its own stored
 * body and Idempotency-Key, in its old place in its lane (forwards keep their ids), retried as any
 * forward, its give-up age counted afresh. One accepted leaves the dead letters; one given up again
 * comes back with its new error. A second request finds them pending and queues nothing more.
 */
export async function replayDeadLetters(deps: RedeliveryDeps, request: ReplayRequest): Promise<{ queued: number }> {
  const targets = request.target === undefined ? deps.targets : [configuredTarget(request.target, deps.targets)];
  const at = deps.clock.now();
  let queued = 0;
  for (const target of targets) {
    let ofTarget = 0;
    for (const eventIds of chunks(request.eventIds)) {
      // By forward id from where the last batch stopped: a dead letter queued here and refused again
      // at once comes back with the same id, behind the batches, and is not taken twice.
      let after = 0;
      await inBatches(async () => {
        const batch = await deps.webhooks.replayDeadLetters({ target, status: request.status, eventIds }, after, REQUEUE_BATCH, at);
        ofTarget += batch.queued;
        if (batch.queued > 0) deps.onQueued();
        if (batch.next === null) return false;
        after = batch.next;
        return true;
      });
    }
    deps.metrics.forwardsRequeued(target, 'replay', ofTarget);
    if (ofTarget > 0) deps.logger.info({ target: targetName(target), queued: ofTarget, status: request.status }, 'dead letters queued again (replay)');
    queued += ofTarget;
  }
  return { queued };
}

/** The event ids in lists of at most one batch; one list of none (`undefined`: every event) when none are named. */
function chunks(eventIds: string[] | undefined): Array<string[] | undefined> {
  if (eventIds === undefined) return [undefined];
  const lists: string[][] = [];
  for (let i = 0; i < eventIds.length; i += REQUEUE_BATCH) lists.push(eventIds.slice(i, i + REQUEUE_BATCH));
  return lists;
}
