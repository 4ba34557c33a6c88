import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Arrivals } from './arrivals';

/** A forwarded event as the receiver took it (answered 2xx). */
export interface ReceivedEvent {
  body: string;
  signature: string | undefined;
  idempotencyKey: string | undefined;
  contentType: string | undefined;
}

export interface EventReceiver {
  /** For FORWARD_URL. */
  url: string;
  /** Events answered 200, in arrival order. */
  events: ReceivedEvent[];
  /** Every request, whatever it was answered. */
  attempts: number;
  /** The next requests get these statuses, in order (`'hang'`: never answered); then 200 again. */
  script(answers: Array<number | 'hang'>): void;
  /** Every request gets this status until `recover()`. */
  failWith(status: number): void;
  /** Every request is answered only after `ms`, as a receiver doing slow work would, until `recover()`. */
  answerAfter(ms: number): void;
  recover(): void;
  waitForEvents(count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

/**
 * A team's event endpoint on loopback, for FORWARD_URL in tests and the demo: it records what it
 * takes, and can be told to fail, hang or recover, as a real receiver that is deploying would.
 */
export async function startEventReceiver(options: { port?: number } = {}): Promise<EventReceiver> {
  const events = new Arrivals<ReceivedEvent>('forwarded events');
  const scripted: Array<number | 'hang'> = [];
  let failing: number | undefined;
  let delayMs = 0;
  let attempts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      const answer = scripted.shift() ?? failing ?? 200;
      if (answer === 'hang') return;
      const respond = () => {
        // A sender that gave up meanwhile has not delivered the event: it is not counted as taken.
        if (req.socket.destroyed) return;
        if (answer < 300) {
          events.push({
            body: Buffer.concat(chunks).toString('utf8'),
            signature: req.headers['x-wa-onboard-signature-256'] as string | undefined,
            idempotencyKey: req.headers['idempotency-key'] as string | undefined,
            contentType: req.headers['content-type'],
          });
        }
        res.writeHead(answer, { 'content-type': 'application/json' }).end(answer < 300 ? '{"ok":true}' : '{"ok":false}');
      };
      if (delayMs > 0) setTimeout(respond, delayMs);
      else respond();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/events`,
    events: events.items,
    get attempts() {
      return attempts;
    },
    script: (answers) => scripted.push(...answers),
    failWith: (status) => {
      failing = status;
    },
    answerAfter: (ms) => {
      delayMs = ms;
    },
    recover: () => {
      failing = undefined;
      delayMs = 0;
      scripted.splice(0);
    },
    waitForEvents: (count, timeoutMs) => events.waitFor(count, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
