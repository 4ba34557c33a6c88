import { randomInt } from 'node:crypto';

/** A uniformly random 6-digit string, leading zeros kept: a PIN, or a made-up code for a rehearsal. */
export function sixDigits(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}
