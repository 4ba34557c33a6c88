import type { Claim } from '../../src/store/claims';

/** The lease of the claims the contract tests take: long enough that a test never outlives it by accident. */
export const LEASE_MS = 30_000;

/** A claim by `worker` made at `now`, holding for `leaseMs`: tests name their times, they never sleep. */
export function claimAt(now: Date, worker = 'worker-1', leaseMs = LEASE_MS): Claim {
  return { worker, now, until: new Date(now.getTime() + leaseMs) };
}
