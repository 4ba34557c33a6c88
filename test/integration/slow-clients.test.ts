import net from 'node:net';
import { callParams, startHarness, type Harness } from '../helpers/harness';
import { textBatch } from '../helpers/meta-payloads';
import { storeCounts } from '../helpers/store-counts';

/**
 * A stranger who sends a request a byte at a time holds a connection (and the memory behind it) for
 * as long as the server lets it. The service cuts such a request at its deadline with a 408, stores
 * nothing of it, and counts it. The deadlines are shortened here; the defaults are in slow-clients.ts.
 */

const DEADLINES = { headersMs: 400, requestMs: 800, checkEveryMs: 50 };
const TRICKLE_EVERY_MS = 25;

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ requestDeadlines: DEADLINES, env: { LOG_LEVEL: 'warn' } });
});

afterEach(async () => {
  await h.close();
});

interface Trickled {
  /** Everything the server wrote before it closed the connection. */
  answer: string;
  /** How many bytes of `rest` had been sent when the connection closed. */
  sentOfRest: number;
}

/** Sends `head` at once, then `rest` one byte every TRICKLE_EVERY_MS until the server closes the connection. */
function trickle(head: string, rest: Buffer): Promise<Trickled> {
  const { port } = new URL(h.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const answer: Buffer[] = [];
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < rest.length && socket.writable) socket.write(rest.subarray(sent, ++sent));
      }, TRICKLE_EVERY_MS);
    });
    socket.on('data', (chunk: Buffer) => answer.push(chunk));
    // The server may reset a connection that is still sending: what it wrote before is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer: Buffer.concat(answer).toString('latin1'), sentOfRest: sent });
    });
    socket.setTimeout(20_000, () => reject(new Error('the server never cut the slow request')));
  });
}

async function slowRequestsCounted(): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('wa_onboard_http_slow_requests_total '));
  return Number(line?.split(' ')[1]);
}

describe('slow clients', () => {
  it('cuts off a webhook body trickled past the request deadline with a 408, stores nothing and counts it', async () => {
    const body = textBatch(3);
    const head =
      'POST /webhooks/whatsapp HTTP/1.1\r\nHost: onboard.example.com\r\nContent-Type: application/json\r\n' +
      `X-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\nContent-Length: ${body.length}\r\n\r\n`;

    const { answer, sentOfRest } = await trickle(head, body);

    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(sentOfRest).toBeLessThan(body.length);
    expect((await storeCounts(h.store)).inbox).toBe(0);
    expect(await slowRequestsCounted()).toBe(1);
  });

  it('cuts off headers trickled past the headers deadline with a 408 and counts it', async () => {
    const headers = Buffer.from(Array.from({ length: 2_000 }, (_, i) => `X-Filler-${i}: x\r\n`).join(''));

    const { answer, sentOfRest } = await trickle('POST /twilio/voice HTTP/1.1\r\nHost: onboard.example.com\r\n', headers);

    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(sentOfRest).toBeLessThan(headers.length);
    expect((await storeCounts(h.store)).calls).toBe(0);
    expect(await slowRequestsCounted()).toBe(1);
  });

  it('answers requests sent at once as usual, and counts none of them', async () => {
    const voice = await h.twilioPost('/twilio/voice', callParams('CAprompt'));
    const webhook = await h.metaPost(textBatch(1));

    expect(voice.status).toBe(200);
    expect(webhook.status).toBe(200);
    expect(await slowRequestsCounted()).toBe(0);
  });
});
