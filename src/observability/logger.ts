import pino, { type DestinationStream, type Logger } from 'pino';

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

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'wa-onboard' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination,
  );
}
