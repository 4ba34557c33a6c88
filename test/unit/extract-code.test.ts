import { digitHints, explainCodeExtraction, extractCode } from '../../src/voice/extract-code';

type Row = [behaviour: string, text: string | undefined | null, language: string, length: number, expected: string | null];

const rows: Row[] = [
  // Digits and punctuation between them
  ['keypad Digits', '123456', 'en-US', 6, '123456'],
  ['spaced digits', '1 2 3 4 5 6', 'en-US', 6, '123456'],
  ['hyphenated groups', '123-456', 'en-US', 6, '123456'],
  ['space-separated groups', '123 456', 'en-US', 6, '123456'],
  ['comma between spaced groups', '1 2 3, 4 5 6', 'en-US', 6, '123456'],
  ['dotted pairs', '12.34.56', 'en-US', 6, '123456'],
  ['en dash and trailing period', '123–456.', 'en-US', 6, '123456'],
  ['"$4.60"-style money rendering', 'Your code is $4,829.17', 'en-US', 6, '482917'],
  ['keypad Digits with a trailing #', '123456#', 'en-US', 6, '123456'],

  // Number words
  ['number words', 'one two three four five six', 'en-US', 6, '123456'],
  ['capitalised words with sentence punctuation', 'One, two, three. Four, five, six.', 'en-US', 6, '123456'],
  ['upper-case words', 'ONE TWO THREE FOUR FIVE SIX', 'en-GB', 6, '123456'],
  ['"oh" as zero', 'oh one two three four five', 'en-US', 6, '012345'],
  ['"o" as zero', 'o 9 8 7 6 5', 'en-US', 6, '098765'],
  ['"zero" as zero', 'zero zero one two three four', 'en-US', 6, '001234'],
  ['words mixed with digits', '1 two 3 four 5 six', 'en-US', 6, '123456'],

  // Homophones are digits, but weak
  ['homophones won/to/for/ate count as digits', 'won to three for five ate', 'en-US', 6, '123458'],
  ['homophones too/fore count as digits', 'one too three fore five six', 'en-US', 6, '123456'],
  ['a homophone inside a run counts', '1 2 to 4 5 6', 'en-US', 6, '122456'],
  ['a leading homophone that makes the run too long is dropped', 'send it to 1 2 3 4 5 6', 'en-US', 6, '123456'],
  ['a trailing homophone that makes the run too long is dropped', 'the code is 1 2 3 4 5 6 for you', 'en-US', 6, '123456'],
  ['"won" before the code is dropped', 'we won 4 8 2 9 1 7', 'en-US', 6, '482917'],
  ['homophones at both ends are dropped', 'to 1 2 3 4 5 6 for', 'en-US', 6, '123456'],
  ['a homophone alone is not a code', 'I want to go', 'en-US', 6, null],
  ['a run of homophones only is not a code', 'to too for fore ate won', 'en-US', 6, null],
  ['either edge homophone could be noise → ambiguous', 'to 1 2 3 4 5 for', 'en-US', 6, null],
  ['a homophone is not dropped when the run already fits', 'to 1 2 3 4 5', 'en-US', 6, '212345'],

  // Sentences and repetition
  [
    'code inside a sentence, said twice',
    'Your WhatsApp verification code is 4 8 2 9 1 7. Again, your code is 4 8 2 9 1 7.',
    'en-US',
    6,
    '482917',
  ],
  ['code repeated back-to-back without words', '1 2 3 4 5 6 1 2 3 4 5 6', 'en-US', 6, '123456'],
  ['code repeated back-to-back as one digit string', '123456123456', 'en-US', 6, '123456'],
  ['code said three times', 'Your code is 482917 482917 482917', 'en-US', 6, '482917'],
  ['a code said four times back to back (the repeat count is not documented)', '482917 482917 482917 482917', 'en-US', 6, '482917'],
  ['repetition after trimming a weak word', 'to 1 2 3 4 5 6 1 2 3 4 5 6', 'en-US', 6, '123456'],
  ['a short run elsewhere in the text is ignored', 'Press 1 to repeat. Your code is 4 8 2 9 1 7.', 'en-US', 6, '482917'],
  ['other scripts and emoji around the code', '🎉 コード 4 8 2 9 1 7 🎉', 'en-US', 6, '482917'],

  // Nulls
  ['two different codes are ambiguous', 'Your code is 123456. Again, your code is 654321.', 'en-US', 6, null],
  ['12 digits that are not a repeated code', '1 2 3 4 5 6 6 5 4 3 2 1', 'en-US', 6, null],
  ['a 5-digit run is not a code', 'your code is 1 2 3 4 5', 'en-US', 6, null],
  ['a 7-digit run is not a code', 'your code is 1 2 3 4 5 6 7', 'en-US', 6, null],
  ['a non-number word breaks a run', '1 2 3 and 4 5 6', 'en-US', 6, null],
  ['empty string', '', 'en-US', 6, null],
  ['whitespace only', '  \n\t ', 'en-US', 6, null],
  ['undefined', undefined, 'en-US', 6, null],
  ['null', null, 'en-US', 6, null],
  ['no numbers at all', 'Hello, this is WhatsApp.', 'en-US', 6, null],

  // English compounds
  ['teens and tens', 'twelve thirty four fifty six', 'en-US', 6, '123456'],
  ['tens with hyphens', 'twenty-three forty-five sixty-seven', 'en-US', 6, '234567'],
  ['bare tens words are x0', 'twenty thirty forty', 'en-US', 6, '203040'],
  ['teens', 'ten eleven nineteen', 'en-US', 6, '101119'],
  ['double and triple', 'double five triple two one', 'en-US', 6, '552221'],
  ['double before a digit', 'double 7 1 2 3 4', 'en-US', 6, '771234'],
  ['"double" not followed by a single digit is just a word', 'double 12 3 4', 'en-US', 6, null],

  // Other lengths
  ['length 4: spaced digits', '4 8 2 9', 'en-US', 4, '4829'],
  ['length 4: compounds', 'twelve thirty four', 'en-US', 4, '1234'],
  ['length 4: three digits are not a code', 'one two three', 'en-US', 4, null],
  ['length 4: a 6-digit run is not a 4-digit code', '123456', 'en-US', 4, null],
  ['length 8: grouped digits', '1234 5678', 'en-US', 8, '12345678'],
  ['length 8: words', 'one two three four five six seven eight', 'en-US', 8, '12345678'],

  // Spanish
  ['es: words with accents in the sentence', 'mi código es uno dos tres cuatro cinco seis', 'es-ES', 6, '123456'],
  ['es: upper case without accents', 'MI CODIGO ES CERO NUEVE OCHO SIETE SEIS CINCO', 'es-MX', 6, '098765'],
  ['es: digits', 'tu código de WhatsApp es 4 8 2 9 1 7', 'es-US', 6, '482917'],
  ['es: "una" as one', 'una dos tres cuatro', 'es-ES', 4, '1234'],
  ['es: doble', 'doble cinco uno dos tres cuatro', 'es-ES', 6, '551234'],
  ['es: tens with "y"', 'doce treinta y cuatro cincuenta y seis', 'es-ES', 6, '123456'],
  ['es: fused compounds', 'veintitrés dieciséis noventa', 'es-ES', 6, '231690'],
  ['es: English words are not Spanish numbers', 'one two three four five six', 'es-ES', 6, null],
  ['es: a lone "y" breaks a run', 'uno dos tres y cuatro cinco seis', 'es-ES', 6, null],

  // Portuguese
  ['pt: "meia" as six', 'o seu código é um dois três quatro cinco meia', 'pt-BR', 6, '123456'],
  ['pt: "tres" without accent', 'seu codigo e um dois tres quatro cinco seis', 'pt-BR', 6, '123456'],
  ['pt: digits', 'O seu código do WhatsApp é 4 8 2 9 1 7.', 'pt-PT', 6, '482917'],
  ['pt: zero and meia', 'zero nove oito sete meia cinco', 'pt-BR', 6, '098765'],
  ['pt: feminine forms', 'duas três quatro uma', 'pt-BR', 4, '2341'],
  ['pt: tens with "e"', 'doze trinta e quatro cinquenta e seis', 'pt-BR', 6, '123456'],
  ['pt: European spellings', 'dezasseis vinte e três', 'pt-PT', 4, '1623'],
  ['pt: code said twice', 'o seu código é um dois três quatro cinco seis, repito, um dois três quatro cinco seis', 'pt-BR', 6, '123456'],
  ['pt: "o" is an article, not zero', 'o 1 2 3 4 5', 'pt-BR', 6, null],

  // Language selection
  ['unknown language falls back to English words', 'one two three four five six', 'de-DE', 6, '123456'],
  ['digits work in any language', '1 2 3 4 5 6', 'fr-FR', 6, '123456'],
  ['empty language falls back to English', 'one two three four five six', '', 6, '123456'],
  ['language tag with underscore', 'um dois três quatro cinco meia', 'pt_BR', 6, '123456'],
];

describe('extractCode', () => {
  it.each(rows)('%s: %j (%s, length %i) → %j', (_behaviour, text, language, length, expected) => {
    expect(extractCode(text, { length, language })).toBe(expected);
  });

  it('returns null for an invalid length instead of throwing', () => {
    expect(extractCode('123456', { length: 0, language: 'en-US' })).toBeNull();
    expect(extractCode('123456', { length: Number.NaN, language: 'en-US' })).toBeNull();
    expect(extractCode('123456', { length: 2.5, language: 'en-US' })).toBeNull();
  });

  it('never throws on odd input', () => {
    const odd = ['\uD800\uDC00\uD800', '\u0000', '🙂'.repeat(1000), 'İ̇̇', 'constructor', '__proto__ 1 2 3 4 5 6'];
    for (const text of odd) {
      for (const language of ['en-US', 'constructor', '__proto__', 'pt-BR']) {
        expect(() => extractCode(text, { length: 6, language })).not.toThrow();
      }
    }
    expect(extractCode(123456 as unknown as string, { length: 6, language: 'en-US' })).toBeNull();
  });

  it('never throws on random unicode', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 500; n++) {
      const text = Array.from({ length: Math.floor(random() * 60) }, () =>
        String.fromCodePoint(Math.floor(random() * 0x1ffff)),
      ).join('');
      expect(() => extractCode(text, { length: 6, language: 'es-ES' })).not.toThrow();
    }
  });

  // Speed is for the benchmarks; this only proves long input is read to the end.
  it('reads very long input to the end', () => {
    expect(extractCode('to '.repeat(200_000), { length: 6, language: 'en-US' })).toBeNull();
    expect(extractCode('1 '.repeat(200_000), { length: 6, language: 'en-US' })).toBeNull();
    expect(extractCode(`${'blah '.repeat(200_000)}4 8 2 9 1 7`, { length: 6, language: 'en-US' })).toBe('482917');
  });
});

describe('explainCodeExtraction', () => {
  it.each([
    ['a code', '123456', { code: '123456' }],
    ['empty input', '  ', { code: null, reason: 'empty input' }],
    ['no run of the right length', '12345', { code: null, reason: 'no run of exactly 6 digits' }],
    ['two different codes', '123456 then 654321', { code: null, reason: 'ambiguous: 2 different codes' }],
  ])('reports %s', (_behaviour, text, expected) => {
    expect(explainCodeExtraction(text, { length: 6, language: 'en-US' })).toEqual(expected);
  });
});

describe('digitHints', () => {
  it.each([
    ['en-US', ['zero', 'oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']],
    ['es-ES', ['cero', 'uno', 'una', 'dos', 'tres', 'cuatro', 'cinco', 'seis', 'siete', 'ocho', 'nueve']],
    ['pt-BR', ['zero', 'um', 'uma', 'dois', 'duas', 'três', 'quatro', 'cinco', 'seis', 'meia', 'sete', 'oito', 'nove']],
    ['xx-YY', ['zero', 'oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']],
  ])('%s → spoken digit words in digit order', (language, expected) => {
    expect(digitHints(language)).toEqual(expected);
  });

  it('has no duplicates and leaves out homophones', () => {
    for (const language of ['en-US', 'es-MX', 'pt-PT']) {
      const hints = digitHints(language);
      expect(new Set(hints).size).toBe(hints.length);
    }
    expect(digitHints('en-US')).not.toContain('to');
  });
});
