import { ERROR_CATALOG } from '../../src/whatsapp/error-catalog';
import { ERROR_CODES_DOC, explainError, explainErrors, type MetaError } from '../../src/whatsapp/explain-error';

/** Every code of REFERENCE.md section 5, each code of an "a / b" row on its own. */
const REFERENCE_CODES = [
  100, 131000, 131016, 131026, 131031, 131042, 131047, 131048, 131049, 131051, 131060, 131052, 131053, 131056,
  130429, 80007, 4, 130472, 132000, 132001, 132005, 132007, 132012, 132015, 132016, 133005, 133006, 133009,
  133010, 133015, 133016, 136024, 136025, 190, 0, 368,
];

/** A failed status's error, as Meta's webhook reference shows it. */
const RATE_LIMIT_ERROR: MetaError = {
  code: 130429,
  title: 'Rate limit hit',
  message: 'Rate limit hit',
  error_data: {
    details:
      'Message failed to send because there were too many messages sent from this phone number in a short period of time',
  },
  href: '/docs/whatsapp/cloud-api/support/error-codes/',
};

describe('the error catalog', () => {
  it.each(REFERENCE_CODES)('knows REFERENCE code %i, with a meaning and an action', (code) => {
    const explained = explainError({ code });
    expect(explained.known).toBe(true);
    expect(explained.meaning.trim()).not.toBe('');
    expect(explained.action.trim()).not.toBe('');
  });

  it('says each thing in one plain sentence', () => {
    for (const [code, entry] of ERROR_CATALOG) {
      for (const text of [entry.meaning, entry.action]) {
        expect({ code, text, oneSentence: /^[A-Z0-9][^\n]*[^.]\.$/.test(text) && !/\. [A-Z]/.test(text) }).toEqual({
          code,
          text,
          oneSentence: true,
        });
      }
    }
  });

  it('gives each code of a shared REFERENCE row its own meaning', () => {
    const meanings = [...ERROR_CATALOG.values()].map((entry) => entry.meaning);
    expect(new Set(meanings).size).toBe(meanings.length);
  });
});

describe('explainError', () => {
  it.each([4, 2, 80007, 130429, 131000, 131016, 131056, 131057, 133004])(
    'marks %i (a limit or an outage) as worth retrying later',
    (code) => {
      expect(explainError({ code }).transient).toBe(true);
    },
  );

  it.each([0, 100, 190, 131026, 131047, 131050, 132001, 132015, 133005])(
    'marks %i as needing a change before any retry',
    (code) => {
      expect(explainError({ code }).transient).toBe(false);
    },
  );

  it('copies what Meta reported next to the explanation', () => {
    expect(explainError(RATE_LIMIT_ERROR)).toEqual({
      code: 130429,
      title: 'Rate limit hit',
      message: 'Rate limit hit',
      details: RATE_LIMIT_ERROR.error_data?.details,
      meaning: ERROR_CATALOG.get(130429)?.meaning,
      action: ERROR_CATALOG.get(130429)?.action,
      transient: true,
      known: true,
    });
  });

  it('reads the error of a Graph answer, ignoring the fields it does not use', () => {
    const graphError = {
      message: '(#131047) Re-engagement message',
      type: 'OAuthException',
      code: 131047,
      error_data: {
        messaging_product: 'whatsapp',
        details: 'More than 24 hours have passed since the recipient last replied to the sender number.',
      },
      fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
    };
    const explained = explainError(graphError);
    expect(explained).toMatchObject({ code: 131047, known: true, transient: false, title: null });
    expect(explained.details).toBe(graphError.error_data.details);
  });

  it.each([
    ['131047', 131047],
    [' 130429 ', 130429],
    ['0', 0],
  ])('accepts the numeric string %j as code %i', (code, expected) => {
    expect(explainError({ code })).toMatchObject({ code: expected, known: true });
    expect(explainError({ code }).meaning).toBe(ERROR_CATALOG.get(expected)?.meaning);
  });

  it('knows code 0 (a falsy code is still a code)', () => {
    expect(explainError({ code: 0 })).toMatchObject({ code: 0, known: true, transient: false });
  });

  it.each([['13x'], [''], ['-4'], [1.5], [Number.NaN], [-1], [{}], [true]])('treats the code %p as no code', (code) => {
    expect(explainError({ code })).toMatchObject({ code: null, known: false });
  });

  it('keys on the code, not on a title that says something else', () => {
    const honest = explainError({ code: 131047 });
    const misleading = explainError({ code: 131047, title: 'Rate limit hit', message: '(#130429) Rate limit hit' });
    expect(misleading).toMatchObject({ meaning: honest.meaning, action: honest.action, transient: false });
    expect(misleading.title).toBe('Rate limit hit');
  });

  it('does not guess a code from a title alone', () => {
    expect(explainError({ title: 'Rate limit hit' })).toMatchObject({ code: null, known: false, transient: false });
  });

  it.each([200, 250, 299])('explains %i with the shared permission entry', (code) => {
    const explained = explainError({ code });
    expect(explained).toMatchObject({ code, known: true, transient: false });
    expect(explained.meaning).toContain('lacks a permission');
  });

  it.each([199, 300, 999999])('sends the operator to Meta for the unknown code %i', (code) => {
    const explained = explainError({ code, error_data: { details: 'something new' } });
    expect(explained).toMatchObject({ code, known: false, transient: false, details: 'something new' });
    expect(explained.meaning).toContain(String(code));
    expect(explained.action).toBe(`Look up code ${code} at ${ERROR_CODES_DOC}.`);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Rate limit hit'],
    ['a number', 130429],
    ['an array', [{ code: 130429 }]],
    ['a function', () => 130429],
    ['an object without a code', { message: 'oops', error_data: 'not an object' }],
  ])('explains %s as an error without a code, without throwing', (_what, input) => {
    const explained = explainError(input);
    expect(explained).toMatchObject({ code: null, known: false, transient: false, details: null });
    expect(explained.meaning).toBe('Meta reported an error without a code we know.');
    expect(explained.action).toContain(ERROR_CODES_DOC);
  });
});

describe('explainErrors', () => {
  it('explains every item of the array, in order', () => {
    const explained = explainErrors([{ code: 131026 }, null, RATE_LIMIT_ERROR]);
    expect(explained.map((e) => [e.code, e.known])).toEqual([
      [131026, true],
      [null, false],
      [130429, true],
    ]);
  });

  it.each([['null', null], ['undefined', undefined], ['an object', { errors: [{ code: 4 }] }], ['a string', '[]']])(
    'gives no explanations for %s',
    (_what, input) => {
      expect(explainErrors(input)).toEqual([]);
    },
  );
});
