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
 * Forwards (or events) queued per transaction by a replay or a backfill. A batch holds the thread
 * while it runs (SQLite is synchronous here), and every request that arrives meanwhile waits behind
 * it: small batches keep that wait short, and a million events never fill memory.
 */
export const REQUEUE_BATCH = 250;

/**
 * After each batch a replay or a backfill rests this many times as long as the batch took, so it
 * takes at most a third of the thread: a request needs several turns of the event loop (its body,
 * its commit, the disk's sync, its answer), and a batch run at every turn would delay each of them.
 */
const REST_PER_BATCH = 2;

/** Runs `batch` until it says there is no more, resting in between so that requests go first. */
export async function inBatches(batch: () => Promise<boolean>): Promise<void> {
  for (;;) {
    const started = performance.now();
    if (!(await batch())) return;
    const tookMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, REST_PER_BATCH * tookMs)));
  }
}

/**
 * The configured target `requested` names: as in FORWARD_URL (credentials or not), or as the API,
 * the page and the metrics name it (`targetName`). Anything else is refused, naming the configured
 * ones: an event is never sent to an address given in a request.
 */
export function configuredTarget(requested: string, targets: string[]): string {
  const found = findTarget(requested, targets);
  if (found !== undefined) return found;
  throw new BadRequestError(`target ${JSON.stringify(targetName(requested))} is not configured; ${configuredTargets(targets)}`);
}

/** The target of `among` that `requested` names, in FORWARD_URL's form (credentials or not) or in the API's. */
export function findTarget(requested: string, among: string[]): string | undefined {
  return among.find((t) => t === recordedTarget(requested) || targetName(t) === requested);
}

/** The configured targets, as a 400 names them. */
export function configuredTargets(targets: string[]): string {
  return targets.length === 0
    ? 'no target is configured (FORWARD_URL is empty)'
    : `the configured targets are ${targets.map((t) => JSON.stringify(targetName(t))).join(', ')}`;
}
