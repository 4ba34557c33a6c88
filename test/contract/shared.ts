// What the webhook contract suites share: two forwarding targets, two lanes, and a one-item check.

export const HOOK_A = 'https://hooks.example.com/a';
export const HOOK_B = 'https://hooks.example.com/b';
export const TARGETS = [HOOK_A, HOOK_B];

/** The text fixture's phone number id, and another: two lanes. */
export const PHONE_1 = '106540352242922';
export const PHONE_2 = '109238475610293';

/** The one item of `items`, failing the test when there is not exactly one. */
export function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}
