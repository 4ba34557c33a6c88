/** How often and how long a transient failure is retried. */
export interface RetryPolicy {
  /** Delay before attempt `attempt + 1`, after `attempt` failed ones (1-based). */
  delayMs(attempt: number): number;
  /** After this many failed attempts the delivery is recorded as failed. */
  maxAttempts: number;
}

/**
 * Exponential backoff with a cap. The defaults (5 s doubling to 10 min, 40 attempts) keep trying
 * for about six hours: longer than an SMTP or Twilio outage usually lasts, shorter than Meta's
 * patience with an unverified number.
 */
export function exponentialBackoff(options: { baseMs: number; maxMs: number; maxAttempts: number }): RetryPolicy {
  return {
    maxAttempts: options.maxAttempts,
    delayMs: (attempt) => Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1)),
  };
}

export const defaultRetryPolicy = exponentialBackoff({ baseMs: 5_000, maxMs: 10 * 60_000, maxAttempts: 40 });
