import pino, { type DestinationStream, type Logger } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';

export type { Logger };

/**
 * Paths pino censors wherever they appear in a log object: signature and auth headers, secrets,
 * anything that can hold a verification code, and a WhatsApp event's contents (`data`, `contact`).
 * Twilio's own parameter names are listed because a handler may log a request's fields; our own
 * code logs `code` only through these names.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'headers["x-twilio-signature"]',
  'headers["x-hub-signature-256"]',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers.cookie',
  'headers["x-wa-onboard-signature-256"]',
  'appSecrets',
  'verifyToken',
  'secret',
  'data',
  'contact',
  'authToken',
  'adminToken',
  'token',
  'password',
  'smtpUrl',
  'code',
  'body',
  'text',
  'Digits',
  'SpeechResult',
  'TranscriptionText',
  '*.authToken',
  '*.adminToken',
  '*.token',
  '*.password',
  '*.smtpUrl',
  '*.code',
  '*.body',
  '*.text',
  '*.Digits',
  '*.SpeechResult',
  '*.TranscriptionText',
  '*.appSecrets',
  '*.verifyToken',
  '*.secret',
  '*.data',
  '*.contact',
];

/** How log lines are written: one JSON object per line (for collectors), or lines a person reads. */
export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT=auto is pretty only when stdout is a terminal: a person reads it there, a collector anywhere else. */
export function logFormatFor(setting: 'auto' | LogFormat, stdoutIsTerminal: boolean): LogFormat {
  if (setting === 'auto') return stdoutIsTerminal ? 'pretty' : 'json';
  return setting;
}

/**
 * A pino logger with the redaction above. `pretty` formats each line with pino-pretty's formatter,
 * in this thread and synchronously (a line logged just before an exit is not lost); pino censors before it
 * formats, so redaction holds in both formats.
 */
export function createLogger(options: { level: string; destination?: DestinationStream; format?: LogFormat }): Logger {
  const destination = options.format === 'pretty' ? prettyStream(options.destination) : options.destination;
  return pino(
    {
      level: options.level,
      base: { service: 'wa-onboard' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  const out = destination ?? pino.destination({ dest: 1, sync: true });
  const format = prettyFactory({
    // Colour only on a terminal that wants it (NO_COLOR, TERM=dumb), never into a stream handed in.
    colorize: destination === undefined && isColorSupported,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,service',
    singleLine: true,
  });
  return { write: (line: string) => out.write(format(line)) };
}
