import { createLogger, logFormatFor } from '../../src/observability/logger';

describe('log lines a person reads', () => {
  it('are pretty on a terminal unless LOG_FORMAT says otherwise, and JSON anywhere else', () => {
    expect(logFormatFor('auto', true)).toBe('pretty');
    expect(logFormatFor('auto', false)).toBe('json');
    expect(logFormatFor('json', true)).toBe('json');
    expect(logFormatFor('pretty', false)).toBe('pretty');
  });

  it('censor what the JSON lines censor: codes, tokens, signature headers', () => {
    const written: string[] = [];
    const logger = createLogger({ level: 'info', format: 'pretty', destination: { write: (line: string) => void written.push(line) } });
    logger.warn(
      { code: '271828', SpeechResult: 'my code is 2 7 1 8 2 8', headers: { 'x-twilio-signature': 'sig-SECRET', authorization: 'Bearer tok-SECRET' } },
      'heard a code',
    );
    const out = written.join('');

    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: heard a code /);
    expect(out).toContain('[redacted]');
    for (const secret of ['271828', '2 7 1 8', 'sig-SECRET', 'tok-SECRET']) expect(out).not.toContain(secret);
    expect(() => JSON.parse(out) as unknown).toThrow();
  });
});
