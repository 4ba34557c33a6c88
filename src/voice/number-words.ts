// Spoken number words per language, used to read a verification code out of a transcript.
// Tables are written in natural spelling (accents included) so they can double as Twilio
// <Gather hints>; lookups use the normalised form (lower case, accents stripped).

/** What one normalised word contributes to a digit run. */
export type WordMeaning =
  /** One spoken digit. `weak` words are homophones ("to" = 2) that are often just ordinary words. */
  | { kind: 'digit'; digit: string; weak: boolean }
  /** A word that is already a whole two-digit number: "twelve" = "12", "veintitrés" = "23". */
  | { kind: 'number'; digits: string }
  /** A tens word: "twenty" + "three" = "23", a bare "twenty" = "20". */
  | { kind: 'tens'; digit: string }
  /** "double five" = "55", "triple two" = "222". */
  | { kind: 'repeat'; times: number }
  /** The "y" of "treinta y cuatro": only meaningful between a tens word and a unit. */
  | { kind: 'joiner' };

export type Vocabulary = ReadonlyMap<string, WordMeaning>;

interface LanguageTable {
  /** Index = digit. Every spelling counts as that digit; all but one-letter words are also hints. */
  readonly digits: readonly (readonly string[])[];
  readonly weak?: Readonly<Record<string, number>>;
  /** Words for 10-19 and fused compounds, with their value. */
  readonly numbers?: Readonly<Record<string, number>>;
  /** Words for 20, 30, ... 90, with their tens digit. */
  readonly tens?: Readonly<Record<string, number>>;
  readonly joiner?: string;
  readonly repeats?: Readonly<Record<string, number>>;
}

const ENGLISH: LanguageTable = {
  digits: [['zero', 'oh', 'o'], ['one'], ['two'], ['three'], ['four'], ['five'], ['six'], ['seven'], ['eight'], ['nine']],
  weak: { won: 1, to: 2, too: 2, for: 4, fore: 4, ate: 8 },
  numbers: {
    ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14,
    fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
  },
  tens: { twenty: 2, thirty: 3, forty: 4, fifty: 5, sixty: 6, seventy: 7, eighty: 8, ninety: 9 },
  repeats: { double: 2, triple: 3 },
};

const SPANISH: LanguageTable = {
  digits: [['cero'], ['uno', 'una'], ['dos'], ['tres'], ['cuatro'], ['cinco'], ['seis'], ['siete'], ['ocho'], ['nueve']],
  numbers: {
    diez: 10, once: 11, doce: 12, trece: 13, catorce: 14, quince: 15,
    dieciséis: 16, diecisiete: 17, dieciocho: 18, diecinueve: 19,
    veintiuno: 21, veintidós: 22, veintitrés: 23, veinticuatro: 24, veinticinco: 25,
    veintiséis: 26, veintisiete: 27, veintiocho: 28, veintinueve: 29,
  },
  tens: { veinte: 2, treinta: 3, cuarenta: 4, cincuenta: 5, sesenta: 6, setenta: 7, ochenta: 8, noventa: 9 },
  joiner: 'y',
  repeats: { doble: 2, triple: 3 },
};

const PORTUGUESE: LanguageTable = {
  // "meia" (half a dozen) is how Brazilians say 6 in phone numbers.
  digits: [['zero'], ['um', 'uma'], ['dois', 'duas'], ['três'], ['quatro'], ['cinco'], ['seis', 'meia'], ['sete'], ['oito'], ['nove']],
  numbers: {
    dez: 10, onze: 11, doze: 12, treze: 13, catorze: 14, quatorze: 14, quinze: 15,
    dezesseis: 16, dezasseis: 16, dezessete: 17, dezassete: 17, dezoito: 18, dezenove: 19, dezanove: 19,
  },
  tens: { vinte: 2, trinta: 3, quarenta: 4, cinquenta: 5, sessenta: 6, setenta: 7, oitenta: 8, noventa: 9 },
  joiner: 'e',
};

// A Map, not an object literal, so a language like "constructor" cannot reach Object.prototype.
const TABLES: ReadonlyMap<string, LanguageTable> = new Map([['en', ENGLISH], ['es', SPANISH], ['pt', PORTUGUESE]]);

/** Lower case, then strip accents (NFD splits "é" into "e" + a combining mark). */
export function normalise(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/\p{M}+/gu, '');
}

/** Picks a table by BCP-47 primary subtag ("pt-BR" → pt); anything unknown falls back to English. */
function tableFor(language: unknown): LanguageTable {
  const primary = typeof language === 'string' ? language.toLowerCase().split(/[-_]/)[0] : undefined;
  return (primary !== undefined && TABLES.get(primary)) || ENGLISH;
}

function buildVocabulary(table: LanguageTable): Vocabulary {
  const words = new Map<string, WordMeaning>();
  const add = (word: string, meaning: WordMeaning): void => {
    words.set(normalise(word), meaning);
  };
  table.digits.forEach((spellings, digit) => {
    for (const word of spellings) add(word, { kind: 'digit', digit: String(digit), weak: false });
  });
  for (const [word, digit] of Object.entries(table.weak ?? {})) add(word, { kind: 'digit', digit: String(digit), weak: true });
  for (const [word, value] of Object.entries(table.numbers ?? {})) add(word, { kind: 'number', digits: String(value) });
  for (const [word, digit] of Object.entries(table.tens ?? {})) add(word, { kind: 'tens', digit: String(digit) });
  for (const [word, times] of Object.entries(table.repeats ?? {})) add(word, { kind: 'repeat', times });
  if (table.joiner !== undefined) add(table.joiner, { kind: 'joiner' });
  return words;
}

const vocabularies = new Map<LanguageTable, Vocabulary>();

/** Normalised word → meaning for a language; built once per language. */
export function vocabularyFor(language: unknown): Vocabulary {
  const table = tableFor(language);
  let vocabulary = vocabularies.get(table);
  if (!vocabulary) {
    vocabulary = buildVocabulary(table);
    vocabularies.set(table, vocabulary);
  }
  return vocabulary;
}

/**
 * Words for the digits 0-9 in digit order, for Twilio <Gather hints>. Homophones ("to") and
 * one-letter words ("o") are left out: hinting them would bias recognition towards noise.
 */
export function digitHints(language: string): string[] {
  const seen = new Set<string>();
  const hints: string[] = [];
  for (const word of tableFor(language).digits.flat()) {
    const key = normalise(word);
    if (key.length < 2 || seen.has(key)) continue;
    seen.add(key);
    hints.push(word);
  }
  return hints;
}
