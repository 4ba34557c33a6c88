import type { ReceivedEmail } from '../../src/embedded/local-smtp-server';

/** Header lines the mailer writes; anything else, or a second of them, was injected. */
const MAIL_HEADERS = ['from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding'];

/** What in a message's envelope or header block was injected: an extra header, a repeat, a recipient. */
export function injectedHeaderProblems(email: ReceivedEmail, recipients: string[]): string[] {
  const problems: string[] = [];
  if (email.to.join(', ') !== recipients.join(', ')) problems.push(`sent to ${email.to.join(', ')}`);
  const names = email.headerLines.map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
  for (const name of names) if (!MAIL_HEADERS.includes(name)) problems.push(`a "${name}" header`);
  for (const name of MAIL_HEADERS) if (names.filter((n) => n === name).length > 1) problems.push(`"${name}" twice`);
  return problems;
}
