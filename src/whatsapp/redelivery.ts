import type { Clock } from '../delivery/ports';
import { BadRequestError } from '../http/errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { WebhookStore } from '../store/webhook-store';
import { recordedTarget, targetName } from './target-name';

/** What replaying dead letters and backfilling a target need. */
export interface RedeliveryDeps {
  webhooks: Pick<WebhookStore, 'listDeadLetters' | 'deadLetterCounts' | 'replayDeadLetters' | 'backfillForwards'>;
  /** The configured targets, as recorded: the only ones a replay or a backfill ever sends to. */
  targets: string[];
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** How long events are kept (INBOX_RETENTION_DAYS): a backfill reaches no further back. */
  retentionDays: number;
  /** New forwards are due: wakes the forwarders, here and on the other instances. */
  onQueued: () => void;
}

/**
 * Forwards (or events) queued per transaction by a replay or a backfill: between two batches the
 * thread serves requests, so a million of them neither hold it nor fill memory.
 */
export const REQUEUE_BATCH = 1_000;

/** Lets the requests waiting on the thread in between two batches. */
export const yieldToRequests = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The configured target `requested` names: as in FORWARD_URL (credentials or not), or as the API,
 * the page and the metrics name it (`targetName`). Anything else is refused, naming the configured
 * ones: an event is never sent to an address given in a request.
 */
export function configuredTarget(requested: string, targets: string[]): string {
  const found = targets.find((t) => t === requested || t === recordedTarget(requested) || targetName(t) === requested);
  if (found !== undefined) return found;
  throw new BadRequestError(`target ${JSON.stringify(targetName(requested))} is not configured; ${configuredTargets(targets)}`);
}

/** The configured targets, as a 400 names them. */
export function configuredTargets(targets: string[]): string {
  return targets.length === 0
    ? 'no target is configured (FORWARD_URL is empty)'
    : `the configured targets are ${targets.map((t) => JSON.stringify(targetName(t))).join(', ')}`;
}
