import { digitsOf, metaLanguage, splitE164 } from '../../src/meta/phone-number';

describe('splitE164', () => {
  // Country codes are one to three digits; only the numbering plan tells where the code ends.
  it.each([
    ['+15550100199', { cc: '1', phoneNumber: '5550100199' }],
    ['+447911123456', { cc: '44', phoneNumber: '7911123456' }],
    ['+351912345678', { cc: '351', phoneNumber: '912345678' }],
    ['+971501234567', { cc: '971', phoneNumber: '501234567' }],
    ['+5511912345678', { cc: '55', phoneNumber: '11912345678' }],
  ])('splits %s into its country code and national number', (e164, expected) => {
    expect(splitE164(e164)).toEqual(expected);
  });

  it('gives the national number as digits only when the number is written with spaces', () => {
    expect(splitE164('+1 415 555 0123')).toEqual({ cc: '1', phoneNumber: '4155550123' });
  });

  it('throws for text that is not a phone number', () => {
    expect(() => splitE164('not a number')).toThrow('NOT_A_NUMBER');
  });

  it('throws for a number without its + and country code, rather than guessing the country', () => {
    expect(() => splitE164('4155550123')).toThrow('INVALID_COUNTRY');
  });
});

describe('digitsOf', () => {
  it('keeps only the digits of a number as Meta formats it', () => {
    expect(digitsOf('+1 555-010-0199')).toBe('15550100199');
  });
});

describe('metaLanguage', () => {
  it.each([
    ['en-US', 'en_US'],
    ['pt-BR', 'pt_BR'],
  ])('writes %s with an underscore, as Meta wants it: %s', (tag, expected) => {
    expect(metaLanguage(tag)).toBe(expected);
  });
});
