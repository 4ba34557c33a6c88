import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from './webhook-store';

/**
 * How many dead letters a target has in one status, kept by both adapters among the webhook's
 * counters and changed in the same transaction as the forwards: given up (+1), queued again or
 * pruned (−1). The migration that added dead letters counted the ones already there by this name.
 */
export function deadLetterCounter(status: DeadLetterStatus, target: string): string {
  return `${PREFIX}${status}:${target}`;
}

/** The counters `deadLetterCounter` names all sort between these two (`;` follows `:`). */
export const DEAD_LETTER_COUNTERS = { from: 'dead_letters:', to: 'dead_letters;' } as const;

const PREFIX = DEAD_LETTER_COUNTERS.from;

/** The status and target a counter's name holds, or null for any other counter. */
export function readDeadLetterCounter(name: string): { status: DeadLetterStatus; target: string } | null {
  if (!name.startsWith(PREFIX)) return null;
  const rest = name.slice(PREFIX.length);
  const status = DEAD_LETTER_STATUSES.find((s) => rest.startsWith(`${s}:`));
  return status ? { status, target: rest.slice(status.length + 1) } : null;
}

/** Counter changes for forwards that left (or entered) the dead letters: one per target and status. */
export function deadLetterChanges(rows: Array<{ target: string; status: string }>, sign: 1 | -1): Array<{ name: string; by: number }> {
  const by = new Map<string, number>();
  for (const row of rows) {
    const name = deadLetterCounter(row.status as DeadLetterStatus, row.target);
    by.set(name, (by.get(name) ?? 0) + sign);
  }
  return [...by].map(([name, n]) => ({ name, by: n }));
}
