import type { Logger } from '../observability/logger';
import { DAY_MS, inBatches, type RetentionTask } from '../retention-pruner';
import type { CallStore } from '../store/call-store';
import { outboxDirOf, pruneOutbox } from './outbox';

/**
 * Deletes what the phone line kept past CODE_RETENTION_DAYS: calls with what was heard, their
 * codes and their deliveries (a call still owed a delivery is kept whole; see `pruneCalls`), and
 * the outbox's files in `DATA_DIR/outbox`. The spool (`DATA_DIR/spool`) is never pruned: each of
 * its files is removed once its code is in the database, whatever its age.
 */
export function codeRetention(deps: { calls: CallStore; dataDir: string; logger: Logger; retentionDays: number }): RetentionTask {
  return {
    async prune(now) {
      const before = new Date(now.getTime() - deps.retentionDays * DAY_MS);
      const total = { calls: 0, codes: 0, deliveries: 0, outboxFiles: 0 };
      await inBatches(
        () => deps.calls.pruneCalls(before),
        (pruned) => {
          total.calls += pruned.calls;
          total.codes += pruned.codes;
          total.deliveries += pruned.deliveries;
        },
      );
      // Every instance has its own outbox, on its own disk.
      total.outboxFiles = await pruneOutbox(outboxDirOf(deps.dataDir), before);
      if (total.calls + total.outboxFiles > 0) {
        deps.logger.info({ ...total, before: before.toISOString() }, 'pruned calls, codes and outbox files past the retention period');
      }
    },
  };
}
