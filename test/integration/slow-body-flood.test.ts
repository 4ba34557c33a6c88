import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { callParams, eventually, META, startHarness, type Harness } from '../helpers/harness';
import { textBatch } from '../helpers/meta-payloads';
import { storeCounts } from '../helpers/store-counts';
import { signPayload } from '../../src/whatsapp/sign';

/**
 * A webhook body is checked against its HMAC only once it has all arrived, so a stranger with a
 * well-formed fake signature can make the service hold bodies (up to 3 MB each) for as long as the
 * request deadline lets them. The service holds at most UNVERIFIED_BODIES_MIB of them at once,
 * giving up the largest with a 503 and Retry-After, so an authentic POST still gets its 200. Each
 * slow client here declares 1 MiB, sends 256 KiB at once, then trickles a byte every 50 ms; without
 * the budget the service would hold all of it.
 */

const CAP_MIB = 4;
const CAP = CAP_MIB * 2 ** 20;
const FLOOD = 300;
const DECLARED = 2 ** 20;
const BURST = Buffer.alloc(256 * 1024, 0x20);
/** What the flood would hold without the budget, once its bursts have arrived. */
const UNCAPPED = FLOOD * BURST.length;
/** The most whole bursts the budget can hold at once: every other slow client is refused. */
const HELD_AT_MOST = Math.floor(CAP / BURST.length);
const TRICKLE_EVERY_MS = 50;

// A flood of 75 MiB over loopback takes seconds on a busy machine.
jest.setTimeout(60_000);

let h: Harness;

afterEach(async () => {
  await h.close();
});

interface SlowClient {
  socket: net.Socket;
  /** What the server wrote back, as latin1 text. */
  answer: string;
  /** The head and the burst are written: the trickle may follow. */
  sent: boolean;
}

/** `count` slow POSTs, each with a well-formed signature made with another secret. */
function slowPosts(count: number, burst = BURST): { clients: SlowClient[]; stop: () => void } {
  const { port } = new URL(h.url);
  const head =
    'POST /webhooks/whatsapp HTTP/1.1\r\nHost: onboard.example.com\r\nContent-Type: application/json\r\n' +
    `X-Hub-Signature-256: ${signPayload('a-secret-that-is-not-meta-s', burst)}\r\nContent-Length: ${DECLARED}\r\n\r\n`;
  const clients = Array.from({ length: count }, () => {
    const client: SlowClient = { socket: net.connect(Number(port), '127.0.0.1'), answer: '', sent: false };
    client.socket.on('connect', () => {
      client.socket.write(head);
      client.socket.write(burst);
      client.sent = true;
    });
    client.socket.on('data', (chunk: Buffer) => (client.answer += chunk.toString('latin1')));
    // The server cuts refused clients that keep sending: what it wrote before is what counts.
    client.socket.on('error', () => undefined);
    return client;
  });
  const trickle = setInterval(() => {
    for (const c of clients) if (c.sent && c.answer === '' && c.socket.writableLength === 0) c.socket.write(' ');
  }, TRICKLE_EVERY_MS);
  return {
    clients,
    stop: () => {
      clearInterval(trickle);
      for (const c of clients) c.socket.destroy();
    },
  };
}

const refusedWith503 = (clients: SlowClient[]) => clients.filter((c) => c.answer.startsWith('HTTP/1.1 503 '));

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

/** Heap and Buffer memory after two full collections. */
function memoryNow(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

describe('a flood of slow fake POSTs', () => {
  beforeEach(async () => {
    h = await startHarness({ env: { UNVERIFIED_BODIES_MIB: String(CAP_MIB), LOG_LEVEL: 'error' } });
  });

  it('holds at most UNVERIFIED_BODIES_MIB of it, refuses the rest with 503 and Retry-After, and stores an authentic POST sent during it', async () => {
    const before = memoryNow();
    const flood = slowPosts(FLOOD);
    try {
      const refused = await eventually(() => {
        const r = refusedWith503(flood.clients);
        return r.length >= FLOOD - HELD_AT_MOST ? r : undefined;
      }, 60_000);
      const during = memoryNow();
      const authentic = await h.metaPost(textBatch(1));

      expect(authentic.status).toBe(200);
      expect((await storeCounts(h.store)).inbox).toBe(1);
      for (const c of refused) expect(c.answer).toMatch(/\r\nretry-after: 5\r\n/i);
      expect(flood.clients.filter((c) => c.answer !== '' && !c.answer.startsWith('HTTP/1.1 503 '))).toEqual([]);
      const peak = await metric('wa_onboard_http_unverified_body_bytes_peak');
      expect(peak).toBeLessThanOrEqual(CAP);
      expect(peak).toBeGreaterThan(CAP / 2);
      expect(await metric('wa_onboard_http_bodies_refused_total{route="webhook"}')).toBeGreaterThanOrEqual(refused.length);
      // Without the budget the service would hold UNCAPPED (75 MiB) of bodies; with it, the budget
      // and what 300 open connections cost besides.
      process.stdout.write(`[slow-body-flood] memory grew by ${((during - before) / 2 ** 20).toFixed(1)} MiB; uncapped the bodies alone would be ${UNCAPPED / 2 ** 20} MiB\n`);
      expect(during - before).toBeLessThan(UNCAPPED / 3);
    } finally {
      flood.stop();
    }
  });

  it("answers Twilio's call during the flood: its form makes room by giving up a larger body", async () => {
    const flood = slowPosts(FLOOD);
    try {
      await eventually(() => (refusedWith503(flood.clients).length >= FLOOD - HELD_AT_MOST ? true : undefined), 60_000);

      const voice = await h.twilioPost('/twilio/voice', callParams('CAduringflood'));

      expect(voice.status).toBe(200);
      expect(await voice.text()).toContain('<Gather');
      expect((await storeCounts(h.store)).callSids).toEqual(['CAduringflood']);
    } finally {
      flood.stop();
    }
  });

  it('counts a slow Twilio form in the same budget, at its Content-Length, before reading it', async () => {
    const { port } = new URL(h.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('POST /twilio/voice HTTP/1.1\r\nHost: onboard.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\nCallSid=CA');
    try {
      await eventually(async () => ((await metric('wa_onboard_http_unverified_body_bytes')) === 60_000 ? true : undefined));
    } finally {
      socket.destroy();
    }
    await eventually(async () => ((await metric('wa_onboard_http_unverified_body_bytes')) === 0 ? true : undefined));
  });

  it('stops counting the bodies of slow clients that go away', async () => {
    const small = Buffer.alloc(64 * 1024, 0x20);
    const flood = slowPosts(20, small);
    await eventually(async () => ((await metric('wa_onboard_http_unverified_body_bytes')) >= 20 * small.length ? true : undefined));

    flood.stop();

    await eventually(async () => ((await metric('wa_onboard_http_unverified_body_bytes')) === 0 ? true : undefined));
  });
});

describe('MAX_CONNECTIONS', () => {
  const MAX = 10;

  beforeEach(async () => {
    // Long deadlines: the connections held open here must not be cut while the test runs.
    h = await startHarness({
      env: { MAX_CONNECTIONS: String(MAX), LOG_LEVEL: 'error' },
      requestDeadlines: { headersMs: 120_000, requestMs: 120_000, checkEveryMs: 1_000 },
    });
  });

  /** A connection that has sent `text` (so the server has taken it), and everything it is answered until it closes. */
  async function connection(text: string) {
    const { port } = new URL(h.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(answer)));
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.write(text);
    return { socket, closed };
  }

  it('closes connections past it as they arrive, unanswered, and counts them; an authentic POST gets in once one closes', async () => {
    // Connected one after another, so the server takes them in this order: the holders first.
    const holders = [];
    for (let i = 0; i < MAX; i++) holders.push(await connection('GET /metrics HTTP/1.1\r\nHost: onboard.example.com\r\n'));
    const body = textBatch(1);
    const extra = await connection(
      'POST /webhooks/whatsapp HTTP/1.1\r\nHost: onboard.example.com\r\nContent-Type: application/json\r\n' +
        `X-Hub-Signature-256: ${signPayload(META.appSecret, body)}\r\nContent-Length: ${body.length}\r\n\r\n${body.toString('latin1')}`,
    );

    expect(await extra.closed).toBe('');
    const [first, ...others] = holders;
    first?.socket.write('Connection: close\r\n\r\n');
    expect(await first?.closed).toMatch(/\nwa_onboard_http_connections_dropped_total 1\n/);
    expect((await storeCounts(h.store)).inbox).toBe(0);

    // Like Meta, try again until the connection is taken: the server frees the slot once it has seen the close.
    const authentic = await eventually(() => h.metaPost(body).catch(() => undefined));
    expect(authentic.status).toBe(200);
    expect((await storeCounts(h.store)).inbox).toBe(1);
    for (const o of others) o.socket.destroy();
  });
});
