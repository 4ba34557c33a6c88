import crypto from 'node:crypto';
import fc from 'fast-check';
import { secretsEqual } from '../../src/http/constant-time';
import { anyCharacter, anyString } from '../helpers/arbitraries';

// Properties of the constant-time comparison of secrets (admin token, Meta's verify token).

const RUNS = { numRuns: 1000 };

/**
 * Pairs of strings: unrelated ones (different lengths, empty), equal ones, and near misses (one
 * character changed, added or removed), where a comparison is most likely to get it wrong.
 */
const pairs: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(anyString({ maxLength: 40, size: 'medium' }), anyString({ maxLength: 40, size: 'medium' })),
  anyString({ maxLength: 40 }).map((a): [string, string] => [a, `${a}`]),
  fc
    .tuple(anyString({ maxLength: 40 }), fc.nat(), anyCharacter, fc.constantFrom('replace', 'insert', 'delete'))
    .map(([a, at, character, edit]): [string, string] => {
      const i = a.length === 0 ? 0 : at % a.length;
      if (edit === 'insert') return [a, a.slice(0, i) + character + a.slice(i)];
      if (edit === 'delete') return [a, a.slice(0, i) + a.slice(i + 1)];
      return [a, a.slice(0, i) + character + a.slice(i + character.length)];
    }),
);

describe('secretsEqual, for any two strings', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('is true exactly when the strings are equal (a === b)', () => {
    fc.assert(
      fc.property(pairs, ([given, expected]) => {
        expect(secretsEqual(given, expected)).toBe(given === expected);
        expect(secretsEqual(expected, given)).toBe(given === expected);
      }),
      RUNS,
    );
  });

  it('decides through crypto.timingSafeEqual, on two buffers of the same length whatever the lengths given', () => {
    // The source imports timingSafeEqual by name; compiled to CommonJS that is a property read
    // of the node:crypto module object at each call, so spying on that object sees the call.
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    fc.assert(
      fc.property(pairs, ([given, expected]) => {
        spy.mockClear();
        const result = secretsEqual(given, expected);
        expect(spy).toHaveBeenCalledTimes(1);
        const [a, b] = spy.mock.calls[0] ?? [];
        expect(Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.length === b.length && a.length > 0).toBe(true);
        expect(spy.mock.results[0]?.value).toBe(result);
      }),
      { numRuns: 500 },
    );
  });
});

describe('secretsEqual, on the case the properties found', () => {
  it('tells two different lone surrogates apart (UTF-8 turns both into U+FFFD)', () => {
    expect(secretsEqual('\ud800', '\ud801')).toBe(false);
  });
});
