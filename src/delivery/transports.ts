import type { Config } from '../config';
import { DeliveryError } from './delivery-error';
import { createOutbox } from './outbox';
import type { Mailer, SmsSender } from './ports';
import { createSmtpMailer } from './smtp-mailer';
import { createTwilioClient } from './twilio-client';
import { createTwilioSmsSender } from './twilio-sms-sender';

/**
 * SMTP and Twilio where configured. Local mode writes what has no transport to the outbox;
 * production has none: config only allows a channel without its transport when no one is on it.
 */
export function deliveryTransports(config: Config): { mailer: Mailer; sms: SmsSender; outboxDir?: string; close(): void } {
  const needsOutbox = config.mode === 'local' && !(config.smtp && config.smsViaTwilio);
  const outbox = needsOutbox ? createOutbox(config.dataDir) : undefined;
  const smtp = config.smtp ? createSmtpMailer(config.smtp) : undefined;
  const sms = config.smsViaTwilio
    ? createTwilioSmsSender(createTwilioClient(config.twilio), config.twilio.smsFrom)
    : (outbox?.sms ?? unconfigured('SMS', 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN'));
  const mailer = smtp ?? outbox?.mailer ?? unconfigured('email', 'SMTP_URL and EMAIL_FROM');
  return { mailer, sms, outboxDir: outbox?.dir, close: () => smtp?.close() };
}

function unconfigured(channel: string, settings: string): Mailer & SmsSender {
  const error = new DeliveryError(`${channel} is not configured: set ${settings}`, { permanent: true });
  return { send: () => Promise.reject(error) };
}
