import { DeliveryError } from './delivery-error';

interface NodemailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/**
 * SMTP replies 4xx are "try again later" (greylisting, a full queue) and 5xx are final (unknown
 * mailbox, refused login), per RFC 5321 section 4.2.1. No reply at all (connection refused, DNS,
 * timeout) means the server is away: retry.
 */
export function classifySmtpError(error: unknown): DeliveryError {
  const e = (error ?? {}) as NodemailerError;
  if (typeof e.responseCode === 'number') {
    const reply = `${e.responseCode} ${firstLine(e.response ?? e.message)}`.trim();
    if (e.responseCode >= 500) {
      const hint = e.code === 'EAUTH' ? ' (the SMTP login was refused: check the user and password in SMTP_URL)' : '';
      return new DeliveryError(`the mail server refused the message: ${reply}${hint}`, { permanent: true });
    }
    return new DeliveryError(`the mail server asked to try again later: ${reply}`, { permanent: false });
  }
  const reason = e.code ? `${e.code}: ${firstLine(e.message)}` : firstLine(e.message) || 'unknown error';
  return new DeliveryError(`the mail server could not be reached (${reason})`, { permanent: false });
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]?.slice(0, 200) ?? '';
}
