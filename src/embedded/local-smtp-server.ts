import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Arrivals } from './arrivals';

/** A message as the local SMTP server received it. */
export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** Every header line as it crossed the wire, unfolded (`Name: value`): what an injected header would change. */
  headerLines: string[];
}

export interface LocalSmtpServer {
  /** nodemailer URL for SMTP_URL, e.g. `smtp://demo:demo@127.0.0.1:2525`. */
  url: string;
  port: number;
  received: ReceivedEmail[];
  /** Resolves once `count` messages have arrived in all (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedEmail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback, for the demo and the tests: it accepts any login, parses each
 * message and keeps it in memory. Plain text only (no STARTTLS), so it never leaves 127.0.0.1.
 */
export async function startLocalSmtpServer(options: { port?: number } = {}): Promise<LocalSmtpServer> {
  const received = new Arrivals<ReceivedEmail>('emails');
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
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              headerLines: headerLinesOf(message),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://local:local@127.0.0.1:${port}`,
    port,
    received: received.items,
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
