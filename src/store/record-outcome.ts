import { isTransientStoreError } from './store-error';

/** How long a worker keeps trying to record what it did: well within a claim's lease, so it keeps its claim. */
export const RECORD_PATIENCE_MS = 20_000;
const FIRST_WAIT_MS = 100;
const LONGEST_WAIT_MS = 2_000;

/**
 * Records the outcome of work already done (an email sent, an event forwarded), trying again while
 * the store's failure is transient: a database that blinks must not make the work look undone, or
 * another instance would do it again once the claim ran out. Gives up (rethrows) after `patienceMs`,
 * or at once on any other failure.
 */
export async function recordOutcome<T>(write: () => Promise<T>, patienceMs = RECORD_PATIENCE_MS): Promise<T> {
  // Counted in the waits themselves: the tries in between are short, or fail at once.
  let waited = 0;
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(LONGEST_WAIT_MS, wait * 2)) {
    try {
      return await write();
    } catch (error) {
      if (!isTransientStoreError(error) || waited + wait > patienceMs) throw error;
      waited += wait;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
