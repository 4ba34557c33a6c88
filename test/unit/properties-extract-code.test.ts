import fc from 'fast-check';
import { explainCodeExtraction, extractCode } from '../../src/voice/extract-code';
import { normalise, vocabularyFor } from '../../src/voice/number-words';
import { anyString, hugeString } from '../helpers/arbitraries';

// Properties of the code extractor, for any transcript. The renderings are the ones the
// extractor's header and the README promise, and the ones Twilio has used over time (REFERENCE
// §1): "123456", "1 2 3, 4 5 6", "123-456", "one two three four five six", mixed words and
// digits, "double five", said several times with Meta's robot's words around it.

const RUNS = { numRuns: 500 };

interface Language {
  tag: string;
  /** Index = digit; every spelling the extractor claims to understand. */
  words: readonly (readonly string[])[];
  /** "double five" = 55, "triple two" = 222, where the language has them. */
  repeats: ReadonlyMap<number, string>;
  /** What the robot says around the code; no number word in any of it. */
  filler: readonly string[];
}

const LANGUAGES: readonly Language[] = [
  {
    tag: 'en-US',
    words: [['zero', 'oh', 'o'], ['one'], ['two'], ['three'], ['four'], ['five'], ['six'], ['seven'], ['eight'], ['nine']],
    repeats: new Map([[2, 'double'], [3, 'triple']]),
    filler: ['Your WhatsApp code is', 'I repeat', 'Again, your code is', 'Hello! This is WhatsApp.', 'Please enter it now.', 'Goodbye.'],
  },
  {
    tag: 'es-MX',
    words: [['cero'], ['uno', 'una'], ['dos'], ['tres'], ['cuatro'], ['cinco'], ['seis'], ['siete'], ['ocho'], ['nueve']],
    repeats: new Map([[2, 'doble'], [3, 'triple']]),
    filler: ['Tu código de WhatsApp es', 'Repito', 'Otra vez, tu código es', 'Hola, habla WhatsApp.', 'Adiós.'],
  },
  {
    tag: 'pt-BR',
    words: [['zero'], ['um', 'uma'], ['dois', 'duas'], ['três', 'tres'], ['quatro'], ['cinco'], ['seis', 'meia'], ['sete'], ['oito'], ['nove']],
    repeats: new Map(),
    filler: ['O seu código do WhatsApp é', 'Repito', 'Novamente, o seu código é', 'Olá, aqui é o WhatsApp.', 'Tchau.'],
  },
];

/** Between two digit characters: nothing at all ("123456") or any separator. */
// Spaces are listed more than once: they are what transcripts mostly hold.
const DIGIT_SEPARATORS = ['', ' ', ' ', ' ', ', ', '-', '.', ' - ', '–', '\n', '  '];
/** Between anything else: a word needs something that is not a letter next to it. */
const WORD_SEPARATORS = [' ', ' ', ' ', ', ', '. ', '-', ' - ', '–', '\n', '  ', '... '];

const code6 = fc.stringMatching(/^[0-9]{6}$/);
const casing = fc.constantFrom<(word: string) => string>(
  (word) => word,
  (word) => word.toUpperCase(),
  (word) => word.charAt(0).toUpperCase() + word.slice(1),
);

/** Choices for one rendering of a code; `render` turns them into text (so shrinking stays readable). */
const renderingChoices = fc.record({
  forms: fc.array(fc.nat(3), { minLength: 6, maxLength: 6 }),
  separators: fc.array(fc.nat(100), { minLength: 6, maxLength: 6 }),
  useRepeats: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  casing,
});
type RenderingChoices = typeof renderingChoices extends fc.Arbitrary<infer T> ? T : never;

interface Piece {
  text: string;
  /** A lone ASCII digit character (may touch another one). */
  bareDigit: boolean;
}

/** Form 0 is the digit character; 1.. pick among the spellings of the language. */
function digitText(digit: number, form: number, language: Language, casing: (word: string) => string): Piece {
  const spellings = language.words[digit] ?? [];
  if (form === 0 || spellings.length === 0) return { text: String(digit), bareDigit: true };
  return { text: casing(spellings[(form - 1) % spellings.length] ?? ''), bareDigit: false };
}

/** How many of the same digit a repeat word covers here ("triple" for three, else "double"), or 1. */
function repeatAt(code: string, i: number, language: Language): number {
  let same = 1;
  while (same < 3 && code[i + same] === code[i]) same++;
  if (same === 3 && language.repeats.has(3)) return 3;
  return same >= 2 && language.repeats.has(2) ? 2 : 1;
}

/** One way of saying `code`: each digit as a digit or a word, sometimes "double x", with separators. */
function render(code: string, language: Language, choices: RenderingChoices): string {
  const pieces: Piece[] = [];
  for (let i = 0; i < code.length; ) {
    const spoken = digitText(Number(code[i]), choices.forms[i] ?? 0, language, choices.casing);
    const times = choices.useRepeats[i] ? repeatAt(code, i, language) : 1;
    const repeatWord = language.repeats.get(times);
    pieces.push(repeatWord === undefined ? spoken : { text: `${choices.casing(repeatWord)} ${spoken.text}`, bareDigit: false });
    i += times;
  }
  return pieces
    .map((piece, k) => {
      const previous = pieces[k - 1];
      if (previous === undefined) return piece.text;
      const separators = previous.bareDigit && piece.bareDigit ? DIGIT_SEPARATORS : WORD_SEPARATORS;
      return `${separators[(choices.separators[k] ?? 0) % separators.length] ?? ' '}${piece.text}`;
    })
    .join('');
}

/**
 * True when `text` holds no ASCII digit and no word the extractor reads as part of a number. A
 * joiner ("y", "e", as in Portuguese "é") only joins a tens word to a unit, and neither the filler
 * nor a rendering has tens words, so it may stay.
 */
function holdsNoNumber(text: string, language: Language): boolean {
  const vocabulary = vocabularyFor(language.tag);
  const tokens = normalise(text).match(/[0-9]+|\p{L}+/gu) ?? [];
  return tokens.every((token) => !/[0-9]/.test(token) && (vocabulary.get(token)?.kind ?? 'joiner') === 'joiner');
}

/** Words around the code: the robot's phrases, or any text at all (other scripts, emoji) with no number in it. */
function filler(language: Language): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...language.filler),
    fc.string({ unit: 'grapheme', maxLength: 30 }).filter((text) => holdsNoNumber(text, language)),
  );
}

/** A whole transcript: the code said 1-4 times, back to back or with filler between, filler around. */
function transcript(language: Language, code: string): fc.Arbitrary<string> {
  const occurrence = renderingChoices.map((choices) => render(code, language, choices));
  const between = fc.oneof(fc.constantFrom(...WORD_SEPARATORS), filler(language).map((words) => ` ${words} `));
  return fc
    .record({
      before: fc.option(filler(language), { nil: undefined }),
      first: occurrence,
      more: fc.array(fc.tuple(between, occurrence), { maxLength: 3 }),
      after: fc.option(filler(language), { nil: undefined }),
    })
    .map(({ before, first, more, after }) =>
      [before === undefined ? '' : `${before} `, first, ...more.flat(), after === undefined ? '' : ` ${after}`].join(''),
    );
}

const spokenCode = fc.constantFrom(...LANGUAGES).chain((language) =>
  code6.chain((code) => transcript(language, code).map((text) => ({ language: language.tag, code, text }))),
);

const anyLanguage = fc.oneof(fc.constantFrom('en-US', 'es-MX', 'pt-BR', 'de-DE', '', 'constructor', '__proto__'), anyString({ maxLength: 12 }));

describe('extractCode, for any input', () => {
  it('never throws on any string, and returns either no code or exactly `length` ASCII digits', () => {
    fc.assert(
      fc.property(fc.oneof(anyString(), anyString({ maxLength: 500, size: 'large' })), anyLanguage, fc.integer({ min: 1, max: 12 }), (text, language, length) => {
        const code = extractCode(text, { length, language });
        expect(code === null || new RegExp(`^[0-9]{${length}}$`).test(code)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on huge strings (up to 100 KB), and returns no code or 6 ASCII digits', () => {
    fc.assert(
      fc.property(hugeString(), anyLanguage, (text, language) => {
        const code = extractCode(text, { length: 6, language });
        expect(code === null || /^[0-9]{6}$/.test(code)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('says why whenever it finds no code, and agrees with extractCode', () => {
    fc.assert(
      fc.property(fc.oneof(anyString({ maxLength: 80, size: 'medium' }), spokenCode.map(({ text }) => text)), (text) => {
        const explained = explainCodeExtraction(text, { length: 6, language: 'en-US' });
        expect(explained.code).toBe(extractCode(text, { length: 6, language: 'en-US' }));
        if (explained.code === null) expect('reason' in explained && explained.reason.length > 0).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('extractCode, for any code the robot says', () => {
  it('the robot phrases and noise used as filler hold no number (so the properties below are fair)', () => {
    for (const language of LANGUAGES) {
      for (const words of language.filler) expect(holdsNoNumber(words, language)).toBe(true);
    }
  });

  it('reads the exact code however it is rendered, repeated and surrounded by filler', () => {
    fc.assert(
      fc.property(spokenCode, ({ language, code, text }) => {
        expect(extractCode(text, { length: 6, language })).toBe(code);
      }),
      RUNS,
    );
  });

  it('reads the code from a transcript of about 100 KB of filler', () => {
    const language = LANGUAGES[0] as Language;
    fc.assert(
      fc.property(filler(language), fc.integer({ min: 1, max: 100_000 }), code6, renderingChoices, (words, size, code, choices) => {
        const noise = `${words} `.repeat(Math.ceil(size / (words.length + 1)));
        const text = `${noise}${render(code, language, choices)} ${noise}`;
        expect(extractCode(text, { length: 6, language: language.tag })).toBe(code);
      }),
      { numRuns: 40 },
    );
  });

  it('reads the code when one homophone ("to", "for") sits right before or right after it', () => {
    const english = LANGUAGES[0] as Language;
    const homophone = fc.constantFrom('to', 'too', 'for', 'fore', 'won', 'ate');
    const said = fc.record({
      code: code6,
      choices: renderingChoices,
      weak: homophone,
      before: fc.boolean(),
      times: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(said, ({ code, choices, weak, before, times }) => {
        const once = render(code, english, choices);
        const withHomophone = before ? `send it ${weak} ${once}` : `${once} ${weak} you`;
        const text = Array.from({ length: times }, () => withHomophone).join('. I repeat: ');
        expect(extractCode(text, { length: 6, language: english.tag })).toBe(code);
      }),
      RUNS,
    );
  });
});
