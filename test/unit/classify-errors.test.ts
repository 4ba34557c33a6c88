import { classifySmtpError } from '../../src/delivery/classify-smtp-error';
import { classifyTwilioError } from '../../src/delivery/classify-twilio-error';
import { DeliveryError } from '../../src/delivery/delivery-error';

/** Builds what twilio-node rejects with: a RestException carrying the HTTP status and Twilio code. */
function restException(status: number, code: number | undefined, message: string): Error & { status: number; code?: number } {
  return Object.assign(new Error(message), { status, code });
}

/** What nodemailer rejects with: an Error with `code`, and `responseCode`/`response` when the server answered. */
function smtpError(fields: { code?: string; responseCode?: number; response?: string; message: string }): Error {
  const { message, ...rest } = fields;
  return Object.assign(new Error(message), rest);
}

describe('classifySmtpError', () => {
  type Row = [behaviour: string, error: unknown, permanent: boolean, mentions: string[]];
  const rows: Row[] = [
    [
      'a refused mailbox (550) is permanent',
      smtpError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <x@example.com>: user unknown', message: 'x' }),
      true,
      ['550', 'user unknown'],
    ],
    [
      'a refused login (535 EAUTH) is permanent and points at SMTP_URL',
      smtpError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 authentication failed', message: 'x' }),
      true,
      ['535', 'SMTP_URL'],
    ],
    [
      'greylisting (451) is retried',
      smtpError({ code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 greylisted, try later', message: 'x' }),
      false,
      ['451', 'try again later'],
    ],
    [
      'a busy server (421) is retried',
      smtpError({ code: 'EPROTOCOL', responseCode: 421, response: '421 4.3.2 too many connections', message: 'x' }),
      false,
      ['421'],
    ],
    [
      'a refused connection (no reply at all) is retried',
      smtpError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:2525' }),
      false,
      ['could not be reached', 'ECONNREFUSED'],
    ],
    ['a timeout is retried', smtpError({ code: 'ETIMEDOUT', message: 'Connection timeout' }), false, ['ETIMEDOUT']],
  ];

  it.each(rows)('%s', (_behaviour, error, permanent, mentions) => {
    const classified = classifySmtpError(error);
    expect(classified).toBeInstanceOf(DeliveryError);
    expect(classified.permanent).toBe(permanent);
    for (const text of mentions) expect(classified.message).toContain(text);
  });

  it('does not blame the login for a refused mailbox', () => {
    const classified = classifySmtpError(smtpError({ code: 'EENVELOPE', responseCode: 550, response: '550 no such user', message: 'x' }));
    expect(classified.message).not.toContain('SMTP_URL');
  });

  it('quotes only the first line of a multi-line reply', () => {
    const classified = classifySmtpError(smtpError({ responseCode: 554, response: '554 no\nsecond line', message: 'x' }));
    expect(classified.message).toContain('554 no');
    expect(classified.message).not.toContain('second line');
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'boom'],
    ['a number', 42],
    ['an empty object', {}],
    ['a responseCode that is not a number', { responseCode: '550' }],
    ['a non-string message', { code: 'EX', message: 12 }],
  ])('treats %s as a transient failure without throwing', (_what, input) => {
    let classified: DeliveryError | undefined;
    expect(() => {
      classified = classifySmtpError(input);
    }).not.toThrow();
    expect(classified).toBeInstanceOf(DeliveryError);
    expect(classified?.permanent).toBe(false);
  });
});

describe('classifyTwilioError', () => {
  it.each<[code: number, explains: string]>([
    [21211, 'NOTIFY_SMS_TO'],
    [21408, 'geo permissions'],
    [21606, 'TWILIO_SMS_FROM'],
    [21608, 'verify the recipient'],
    [21610, 'STOP'],
    [21612, 'cannot route'],
    [21614, 'not a mobile number'],
  ])('treats Twilio error %i as permanent and explains it', (code, explains) => {
    const classified = classifyTwilioError(restException(400, code, 'The message could not be sent'));
    expect(classified.permanent).toBe(true);
    expect(classified.message).toContain(String(code));
    expect(classified.message).toContain(explains);
  });

  it.each<[status: number, code: number | undefined]>([
    [500, undefined],
    [503, undefined],
    [429, 20429],
    [429, undefined],
    // The code alone marks "too many requests", whatever status carried it.
    [400, 20429],
  ])('retries HTTP %i with Twilio code %p', (status, code) => {
    const classified = classifyTwilioError(restException(status, code, 'Service unavailable'));
    expect(classified.permanent).toBe(false);
    expect(classified.message).toContain('try again later');
    expect(classified.message).toContain(`HTTP ${status}`);
  });

  it('treats refused credentials (401) as permanent and points at the account settings', () => {
    const classified = classifyTwilioError(restException(401, 20003, 'Authenticate'));
    expect(classified.permanent).toBe(true);
    expect(classified.message).toContain('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
  });

  it('retries a network error that got no HTTP answer', () => {
    const network = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    const classified = classifyTwilioError(network);
    expect(classified.permanent).toBe(false);
    expect(classified.message).toContain('ECONNREFUSED');
  });

  it('treats a 400 with an unknown Twilio code as permanent, without the credentials hint', () => {
    const classified = classifyTwilioError(restException(400, 21999, 'Something new'));
    expect(classified.permanent).toBe(true);
    expect(classified.message).toContain('HTTP 400, Twilio error 21999: Something new');
    expect(classified.message).not.toContain('TWILIO_AUTH_TOKEN');
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'boom'],
    ['an empty object', {}],
    ['a status that is not a number', { status: '500' }],
    ['a non-string message', { message: 12 }],
  ])('treats %s as a transient failure without throwing', (_what, input) => {
    let classified: DeliveryError | undefined;
    expect(() => {
      classified = classifyTwilioError(input);
    }).not.toThrow();
    expect(classified).toBeInstanceOf(DeliveryError);
    expect(classified?.permanent).toBe(false);
  });
});
