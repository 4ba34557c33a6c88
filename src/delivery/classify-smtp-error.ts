import { DeliveryError } from './delivery-error';
import { textOf } from './text-of';

interface NodemailerError {
  code?: unknown;
  responseCode?: number;
  response?: unknown;
  message?: unknown;
}

/**
 * SMTP replies 4xx are "try again later" (greylisting, a full queue) and 5xx are final (unknown
 * mailbox, refused login), per RFC 5321 section 4.2.1. No reply at all (connection refused, DNS,
 * timeout) means the server is away: retry.
 */
export function classifySmtpError(error: unknown): DeliveryError {
  const e = (error ?? {}) as NodemailerError;
  if (typeof e.responseCode === 'number') {
    // nodemailer's `response` is the server's whole reply, which already starts with the code.
    const text = firstLine(e.response ?? e.message);
    const reply = text.startsWith(String(e.responseCode)) ? text : `${e.responseCode} ${text}`.trim();
    if (e.responseCode >= 500) {
      const hint = e.code === 'EAUTH' ? ' (the SMTP login was refused: check the user and password in SMTP_URL)' : '';
      return new DeliveryError(`the mail server refused the message: ${reply}${hint}`, { permanent: true });
    }
    return new DeliveryError(`the mail server asked to try again later: ${reply}`, { permanent: false });
  }
  const reason = textOf(e.code) ? `${textOf(e.code)}: ${firstLine(e.message)}` : firstLine(e.message) || 'unknown error';
  return new DeliveryError(`the mail server could not be reached (${reason})`, { permanent: false });
}

function firstLine(text: unknown): string {
  return textOf(text).split('\n')[0]?.slice(0, 200) ?? '';
}
