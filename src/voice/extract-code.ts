// Reads a numeric verification code out of whatever Twilio hands us: keypad `Digits`,
// a `SpeechResult`, or a recording's `TranscriptionText`. Transcripts render the same
// spoken digits in many ways ("123456", "1 2 3, 4 5 6", "one two three", "$1,234.56"),
// so we look for runs of number words/digits and accept a run only if it is exactly one
// code (or that code repeated). When in doubt we return null rather than guess.
import { normalise, vocabularyFor, type Vocabulary } from './number-words';

export { digitHints } from './number-words';

export type CodeExtraction = { code: string } | { code: null; reason: string };

export interface ExtractCodeOptions {
  /** Number of digits in the code, e.g. 6. */
  length: number;
  /** BCP-47 tag of the transcript language ("en-US", "es-MX", "pt-BR"); unknown → English. */
  language: string;
}

/** Digits contributed by one spoken item. `weak` marks homophones ("to", "for") that may be noise. */
interface Piece {
  digits: string;
  weak: boolean;
}

/** At most this many weak words are trimmed from each end of a run. */
const MAX_EDGE_TRIM = 2;

/** ASCII digit runs or letter runs; everything else (spaces, punctuation, "$", emoji) only separates. */
const TOKEN = /[0-9]+|\p{L}+/gu;

/** Returns the code (exactly `options.length` digits) or null when there is none or it is ambiguous. */
export function extractCode(text: string | undefined | null, options: ExtractCodeOptions): string | null {
  return explainCodeExtraction(text, options).code;
}

/** Same as {@link extractCode}, but says why nothing was found (for logs). */
export function explainCodeExtraction(text: string | undefined | null, options: ExtractCodeOptions): CodeExtraction {
  const length = options?.length;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1) {
    return { code: null, reason: 'invalid code length' };
  }
  if (typeof text !== 'string' || text.trim() === '') return { code: null, reason: 'empty input' };

  const codes = new Set<string>();
  for (const run of splitIntoRuns(tokenize(text), vocabularyFor(options.language))) {
    for (const code of codesInRun(run, length)) codes.add(code);
  }
  const [first, ...others] = codes;
  if (first === undefined) return { code: null, reason: `no run of exactly ${length} digits` };
  if (others.length > 0) return { code: null, reason: `ambiguous: ${codes.size} different codes` };
  return { code: first };
}

function tokenize(text: string): string[] {
  return normalise(text).match(TOKEN) ?? [];
}

function isDigits(token: string | undefined): token is string {
  return token !== undefined && token.charCodeAt(0) >= 48 && token.charCodeAt(0) <= 57;
}

/**
 * Groups tokens into runs of number pieces. Separators were already dropped by the tokenizer,
 * so punctuation never breaks a run; any word that is not part of a number does.
 */
function splitIntoRuns(tokens: readonly string[], vocabulary: Vocabulary): Piece[][] {
  const runs: Piece[][] = [];
  let run: Piece[] = [];
  for (let i = 0; i < tokens.length; ) {
    const read = readPiece(tokens, i, vocabulary);
    if (read) {
      run.push(read.piece);
      i += read.consumed;
      continue;
    }
    if (run.length > 0) runs.push(run);
    run = [];
    i += 1;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** Reads the number piece starting at tokens[i] (which may span several words), or null. */
function readPiece(
  tokens: readonly string[],
  i: number,
  vocabulary: Vocabulary,
): { piece: Piece; consumed: number } | null {
  const token = tokens[i];
  if (token === undefined) return null;
  if (isDigits(token)) return { piece: { digits: token, weak: false }, consumed: 1 };

  const meaning = vocabulary.get(token);
  switch (meaning?.kind) {
    case 'digit':
      return { piece: { digits: meaning.digit, weak: meaning.weak }, consumed: 1 };
    case 'number':
      return { piece: { digits: meaning.digits, weak: false }, consumed: 1 };
    case 'tens': {
      // "twenty three" / "treinta y cuatro" → 23 / 34; a bare "twenty" → 20.
      const unit = unitAt(tokens, i + 1, vocabulary);
      if (unit !== null) return { piece: { digits: meaning.digit + unit, weak: false }, consumed: 2 };
      const joined = vocabulary.get(tokens[i + 1] ?? '')?.kind === 'joiner' ? unitAt(tokens, i + 2, vocabulary) : null;
      if (joined !== null) return { piece: { digits: meaning.digit + joined, weak: false }, consumed: 3 };
      return { piece: { digits: `${meaning.digit}0`, weak: false }, consumed: 1 };
    }
    case 'repeat': {
      // "double five" → 55. Without a single digit after it, "double" is just a word.
      const digit = singleDigitAt(tokens, i + 1, vocabulary);
      if (digit === null) return null;
      return { piece: { digits: digit.repeat(meaning.times), weak: false }, consumed: 2 };
    }
    default:
      return null; // not a number word, or a joiner outside "tens joiner unit"
  }
}

/** A strong unit word 1-9 that can complete a tens word ("three" in "twenty three"). */
function unitAt(tokens: readonly string[], i: number, vocabulary: Vocabulary): string | null {
  const meaning = vocabulary.get(tokens[i] ?? '');
  return meaning?.kind === 'digit' && !meaning.weak && meaning.digit !== '0' ? meaning.digit : null;
}

/** A single digit, written or spoken, that a "double"/"triple" can apply to. */
function singleDigitAt(tokens: readonly string[], i: number, vocabulary: Vocabulary): string | null {
  const token = tokens[i];
  if (isDigits(token)) return token.length === 1 ? token : null;
  const meaning = vocabulary.get(token ?? '');
  return meaning?.kind === 'digit' ? meaning.digit : null;
}

/**
 * Codes a run can stand for. A run that does not fit as-is may lose weak words at its edges
 * ("send it to 1 2 3 4 5 6"); we try the fewest trims first and return every distinct code
 * found at that level, so "to 1 2 3 4 5 for" (either end could be noise) yields two codes.
 */
function codesInRun(run: readonly Piece[], length: number): string[] {
  // Homophones alone ("to too for") are far likelier to be ordinary words than a code.
  if (run.every((piece) => piece.weak)) return [];
  const weakHead = countWeak(run, (k) => k);
  const weakTail = countWeak(run, (k) => run.length - 1 - k);
  for (let trims = 0; trims <= weakHead + weakTail; trims++) {
    const found = new Set<string>();
    for (let head = Math.max(0, trims - weakTail); head <= Math.min(trims, weakHead); head++) {
      const kept = run.slice(head, run.length - (trims - head));
      if (kept.length === 0) continue;
      const code = codeFrom(kept.map((piece) => piece.digits).join(''), length);
      if (code !== null) found.add(code);
    }
    if (found.size > 0) return [...found];
  }
  return [];
}

/** How many consecutive weak pieces (capped at MAX_EDGE_TRIM) sit at one end of the run. */
function countWeak(run: readonly Piece[], indexFromEdge: (k: number) => number): number {
  let count = 0;
  while (count < MAX_EDGE_TRIM && count < run.length && run[indexFromEdge(count)]?.weak) count++;
  return count;
}

/**
 * The code if `digits` is exactly one code, or the same code said back to back any number of
 * times: how often Meta's robot repeats it is not documented, and a long recording holds many.
 */
function codeFrom(digits: string, length: number): string | null {
  if (digits.length === length) return digits;
  if (digits.length % length !== 0) return null;
  const first = digits.slice(0, length);
  return first.repeat(digits.length / length) === digits ? first : null;
}
