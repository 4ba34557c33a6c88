/** What production asks of a secret a person chooses (ADMIN_TOKEN): about as hard to guess as 80 random bits. */
export const MIN_TOKEN_BITS = 80;
/** Fewer different characters than this is a pattern, whatever its length. */
export const MIN_DISTINCT_CHARACTERS = 8;

/** How to make a token that passes, for the error message. */
export const TOKEN_RECIPE =
  "generate one with `openssl rand -hex 24` or `node -e \"console.log(require('crypto').randomBytes(24).toString('base64url'))\"`";

/** The character classes a token may draw from, and how many characters each holds. */
const CLASSES: Array<{ test: RegExp; size: number }> = [
  { test: /[a-z]/, size: 26 },
  { test: /[A-Z]/, size: 26 },
  { test: /[0-9]/, size: 10 },
  { test: /[^a-zA-Z0-9]/, size: 32 }, // the visible ASCII punctuation
];

/**
 * A guesser's view of a token's strength, in bits: the characters that are not a repetition of
 * those before them, times log2 of the size of the character classes used. A token that repeats
 * a short unit (`abcabcabc…`), or steps by a fixed amount (`aaaa…`, `abcd…`, `2468…`), counts
 * as its unit only. An estimate, not a measure: it only ever overrates a token chosen by a person,
 * so it is a floor that catches the obvious, and the error says how to make a random one.
 */
export function estimatedBits(token: string): number {
  const alphabet = CLASSES.filter((c) => c.test.test(token)).reduce((sum, c) => sum + c.size, 0);
  return alphabet === 0 ? 0 : uniqueLength(token) * Math.log2(alphabet);
}

/** Why `token` is too easy to guess, or null when it is not. Never quotes the token. */
export function weakTokenReason(token: string): string | null {
  const distinct = new Set(token).size;
  if (distinct < MIN_DISTINCT_CHARACTERS) {
    return `uses only ${distinct} different character${distinct === 1 ? '' : 's'} (at least ${MIN_DISTINCT_CHARACTERS})`;
  }
  const bits = Math.floor(estimatedBits(token));
  return bits < MIN_TOKEN_BITS ? `is too easy to guess (about ${bits} bits; at least ${MIN_TOKEN_BITS})` : null;
}

/** The length of the shortest unit `token` repeats, or whose steps it repeats (plus its first character). */
function uniqueLength(token: string): number {
  const codes = [...token].map((c) => c.codePointAt(0) ?? 0);
  const steps = codes.slice(1).map((code, i) => code - (codes[i] ?? 0));
  return Math.min(period(codes), codes.length === 0 ? 0 : period(steps) + 1);
}

/** The smallest p such that every item equals the one p places before it (the last unit may be cut short). */
function period(items: number[]): number {
  for (let p = 1; p < items.length; p++) {
    if (items.every((item, i) => i < p || item === items[i - p])) return p;
  }
  return items.length;
}
