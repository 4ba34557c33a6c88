import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Arrivals } from '../../src/embedded/arrivals';
import type { LocalSmtpServer, ReceivedEmail } from '../../src/embedded/local-smtp-server';

/** A message as it crossed the wire: the envelope's recipients and the raw header block. */
export interface RawEmail {
  rcptTo: string[];
  /** Every header line, unfolded, as `name: value`. */
  headerLines: string[];
}

/**
 * The local SMTP server of the harness, keeping each message's envelope and raw header block as
 * well: what a header injection would change (an extra `Bcc:` line, a second recipient) shows
 * there, not in the parsed subject.
 */
export async function startRawSmtpServer(): Promise<LocalSmtpServer & { raw: RawEmail[] }> {
  const received = new Arrivals<ReceivedEmail>('emails');
  const raw: RawEmail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'local' }),
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const message = Buffer.concat(chunks);
        simpleParser(message).then(
          (mail) => {
            const rcptTo = session.envelope.rcptTo.map((r) => r.address);
            raw.push({ rcptTo, headerLines: headerLinesOf(message) });
            received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: rcptTo, subject: mail.subject ?? '', text: mail.text ?? '' });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://local:local@127.0.0.1:${port}`,
    port,
    received: received.items,
    raw,
    waitFor: (count, timeoutMs) => received.waitFor(count, timeoutMs),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The header block up to the first empty line, with folded continuation lines joined. */
function headerLinesOf(message: Buffer): string[] {
  const text = message.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const lines: string[] = [];
  for (const line of text.slice(0, end < 0 ? text.length : end).split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && lines.length > 0) lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line);
  }
  return lines;
}

/** Header lines the mailer writes; anything else, or a second of them, was injected. */
const MAIL_HEADERS = ['from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding'];

/** What in a message's envelope or header block was injected: an extra header, a repeat, a recipient. */
export function injectedHeaderProblems(email: RawEmail, recipients: string[]): string[] {
  const problems: string[] = [];
  if (email.rcptTo.join(', ') !== recipients.join(', ')) problems.push(`sent to ${email.rcptTo.join(', ')}`);
  const names = email.headerLines.map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
  for (const name of names) if (!MAIL_HEADERS.includes(name)) problems.push(`a "${name}" header`);
  for (const name of MAIL_HEADERS) if (names.filter((n) => n === name).length > 1) problems.push(`"${name}" twice`);
  return problems;
}
