import { defaultRetryPolicy, exponentialBackoff } from '../../src/delivery/retry-policy';

describe('exponentialBackoff', () => {
  const policy = exponentialBackoff({ baseMs: 100, maxMs: 1_000, maxAttempts: 7 });

  it('waits the base delay after the first failed attempt and doubles after each one', () => {
    expect([1, 2, 3, 4].map((attempt) => policy.delayMs(attempt))).toEqual([100, 200, 400, 800]);
  });

  it('never waits longer than the cap', () => {
    expect([5, 6, 50, 5_000].map((attempt) => policy.delayMs(attempt))).toEqual([1_000, 1_000, 1_000, 1_000]);
  });

  it('treats an attempt count below one as the first attempt', () => {
    expect(policy.delayMs(0)).toBe(100);
  });

  it('keeps the attempt limit it was given', () => {
    expect(policy.maxAttempts).toBe(7);
  });
});

describe('defaultRetryPolicy', () => {
  it('starts at 5 s, caps at 10 min and gives up after 40 attempts', () => {
    expect(defaultRetryPolicy.delayMs(1)).toBe(5_000);
    expect(defaultRetryPolicy.delayMs(2)).toBe(10_000);
    expect(defaultRetryPolicy.delayMs(40)).toBe(600_000);
    expect(defaultRetryPolicy.maxAttempts).toBe(40);
  });

  it('keeps trying for the "about six hours" its documentation promises', () => {
    let totalMs = 0;
    for (let attempt = 1; attempt < defaultRetryPolicy.maxAttempts; attempt++) totalMs += defaultRetryPolicy.delayMs(attempt);
    const hours = totalMs / 3_600_000;
    expect(hours).toBeGreaterThan(5);
    expect(hours).toBeLessThan(7);
  });
});
