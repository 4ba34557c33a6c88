import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets without leaking, through timing, how much of them matched. Hashing first
 * makes the lengths equal, so the length of the secret does not leak either. The UTF-16 code
 * units are hashed, not UTF-8: UTF-8 turns every lone surrogate into the same U+FFFD bytes, so
 * "\ud800" and "\ud801" would compare equal.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf16le').digest();
  const b = createHash('sha256').update(expected, 'utf16le').digest();
  return timingSafeEqual(a, b);
}
