import { BackgroundLoop } from './background-loop';
import type { Clock } from './delivery/ports';
import type { Logger } from './observability/logger';

const HOUR_MS = 60 * 60_000;
export const DAY_MS = 24 * HOUR_MS;

/** One kind of data kept for a while: deletes what is older than its retention period at `now`, and logs what it did. */
export interface RetentionTask {
  prune(now: Date): Promise<void>;
}

/**
 * Hourly, each kind of data loses what it kept past its retention period: the webhook's inbox
 * (INBOX_RETENTION_DAYS), the calls, codes and outbox (CODE_RETENTION_DAYS). One loop runs the
 * tasks one after the other; a task that fails does not keep the others from their turn, and the
 * pass is tried again (soon, when the store was unavailable). Every instance runs one; on a shared
 * database one prunes at a time and the others skip (see the stores' prune methods).
 */
export class RetentionPruner {
  private readonly loop: BackgroundLoop;

  constructor(private readonly deps: { tasks: RetentionTask[]; clock: Clock; logger: Logger }) {
    this.loop = new BackgroundLoop({ name: 'retention pruning', logger: deps.logger, pollMs: HOUR_MS, pass: () => this.pass() });
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
    const now = this.deps.clock.now();
    const failures: unknown[] = [];
    for (const task of this.deps.tasks) {
      await task.prune(now).catch((error: unknown) => failures.push(error));
    }
    // The loop logs it, and waits less after a store that was unavailable.
    if (failures.length > 0) throw failures[0];
    return null;
  }
}

/** Runs `batch` until it says it is done, letting requests in between batches; the totals of its counts. */
export async function inBatches<C extends { done: boolean }>(batch: () => Promise<C>, add: (counts: C) => void): Promise<void> {
  for (;;) {
    const counts = await batch();
    add(counts);
    if (counts.done) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
