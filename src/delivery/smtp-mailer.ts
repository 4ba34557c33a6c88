import nodemailer from 'nodemailer';
import { classifySmtpError } from './classify-smtp-error';
import type { Mailer, OutgoingEmail } from './ports';

/**
 * Sends through the SMTP server named by a nodemailer URL (`smtp://user:pass@host:587`,
 * `smtps://...`). Timeouts are short so a hung server becomes a retry, not a stuck delivery.
 */
export function createSmtpMailer(options: { url: string; from: string }): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(options.url, {
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as never);
  return {
    async send(email: OutgoingEmail) {
      try {
        await transport.sendMail({ from: options.from, to: email.to, subject: email.subject, text: email.text });
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    close: () => transport.close(),
  };
}
