/**
 * The text of a field of an error from a library, or from anywhere: never trust it to be a string.
 * Objects are not rendered ("[object Object]" helps no one reading a delivery's error).
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return '';
}
