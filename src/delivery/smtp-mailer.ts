import nodemailer from 'nodemailer';
import { classifySmtpError } from './classify-smtp-error';
import type { Mailer, OutgoingEmail } from './ports';

/**
 * Sends through the SMTP server named by a nodemailer URL (`smtp://user:pass@host:587`,
 * `smtps://...`). Timeouts are short so a hung server becomes a retry, not a stuck delivery.
 */
export function createSmtpMailer(options: {
  url: string;
  from: string;
  /** Milliseconds to connect, to be greeted, and of silence mid-conversation. */
  timeouts?: { connectionMs: number; greetingMs: number; socketMs: number };
}): Mailer & { close(): void; verify(): Promise<void> } {
  const timeouts = options.timeouts ?? { connectionMs: 10_000, greetingMs: 10_000, socketMs: 30_000 };
  const transport = nodemailer.createTransport({
    url: options.url,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
  });
  return {
    async send(email: OutgoingEmail) {
      try {
        await transport.sendMail({ from: options.from, to: email.to, subject: email.subject, text: email.text });
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    /** Connects and logs in without sending: what `wa-onboard doctor` checks. */
    async verify() {
      await transport.verify();
    },
    close: () => transport.close(),
  };
}
