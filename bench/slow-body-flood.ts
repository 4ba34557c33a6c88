// A flood of slow fake webhook POSTs against the service with its default caps (MAX_CONNECTIONS
// 1000, UNVERIFIED_BODIES_MIB 64), and the same flood against the service with both lifted, for
// what the caps save. Each slow client declares 3 MB (Meta's limit), sends BENCH_FLOOD_BURST_KIB at
// once with a well-formed X-Hub-Signature-256 made with another secret, then a byte every 100 ms
// until it is answered. Meanwhile authentic signed POSTs are sent one at a time on new connections,
// retried as Meta would when the connection is closed unanswered, and timed. The service runs in a
// child process, so its rss is its own. Only 127.0.0.1.
// Run: npm run bench:flood   (BENCH_FLOOD_CONNECTIONS, 900: under the connection cap; 1500 goes past it;
//   BENCH_FLOOD_BURST_KIB, 256; BENCH_FLOOD_POSTS, 20 authentic POSTs before and during)
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { freePort } from '../src/embedded/free-port';
import { createService } from '../src/service';
import { WEBHOOK_PATH } from '../src/whatsapp/routes';
import { signPayload } from '../src/whatsapp/sign';
import { messageId, textBatch } from '../test/helpers/meta-payloads';
import { BENCH_SECRETS, machine, markdownTable, median, mib, serveInChild, startChild, type ChildTarget, type Sample } from './common';

const CONNECTIONS = Number(process.env.BENCH_FLOOD_CONNECTIONS ?? 900);
const BURST = Buffer.alloc(Number(process.env.BENCH_FLOOD_BURST_KIB ?? 256) * 1024, 0x20);
const POSTS = Number(process.env.BENCH_FLOOD_POSTS ?? 20);
const DECLARED = 3 * 1024 * 1024;
const TRICKLE_EVERY_MS = 100;
/** Connections opened at once: more would overflow the listen backlog, and the kernel's SYN retries would pace the flood instead. */
const OPEN_AT_ONCE = 100;
/** The settings of the target without caps: the most the schema takes. */
const LIFTED = { MAX_CONNECTIONS: '100000', UNVERIFIED_BODIES_MIB: '4096' };

type Role = 'default caps' | 'caps lifted';

interface SlowClient {
  socket: net.Socket;
  sent: boolean;
  answer: string;
  closed: boolean;
}

function progress(line: string): void {
  process.stderr.write(`slow-body flood: ${line}\n`);
}

/** In the child: the service on `port`, with its default caps or both lifted. */
async function serve(role: string, port: number, dataDir: string): Promise<void> {
  const env = { ...BENCH_SECRETS, LOG_LEVEL: 'silent', DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, ...(role === 'caps lifted' ? LIFTED : {}) };
  const { config } = loadConfig(env, () => {
    throw new Error('every secret is set: local mode must not generate any');
  });
  const service = await createService(config, { logger: pino({ level: 'silent' }) });
  await service.listen(port, '127.0.0.1');
  // Heard before serveInChild's own listener, which then samples: a sample labelled "… after GC"
  // is taken after a full collection, to tell what is held from garbage not yet collected.
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: { type?: string; label?: string }) => {
    if (m.type === 'sample' && m.label?.endsWith('after GC')) gc?.();
  });
  serveInChild(() => service.close());
}

/** Opens the slow clients, OPEN_AT_ONCE at a time, each sending its head and burst, then trickling. */
async function flood(port: number): Promise<{ clients: SlowClient[]; stop: () => void }> {
  const head =
    'POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    `X-Hub-Signature-256: ${signPayload('a-secret-that-is-not-meta-s', BURST)}\r\nContent-Length: ${DECLARED}\r\n\r\n`;
  const clients: SlowClient[] = [];
  const trickle = setInterval(() => {
    for (const c of clients) if (c.sent && c.answer === '' && !c.closed && c.socket.writableLength === 0) c.socket.write(' ');
  }, TRICKLE_EVERY_MS);
  for (let opened = 0; opened < CONNECTIONS; opened += OPEN_AT_ONCE) {
    const batch = Array.from({ length: Math.min(OPEN_AT_ONCE, CONNECTIONS - opened) }, () => {
      const c: SlowClient = { socket: net.connect(port, '127.0.0.1'), sent: false, answer: '', closed: false };
      c.socket.on('data', (chunk: Buffer) => (c.answer += chunk.toString('latin1')));
      c.socket.on('error', () => undefined);
      c.socket.on('close', () => (c.closed = true));
      clients.push(c);
      return new Promise<void>((resolve) => {
        c.socket.once('close', () => resolve());
        c.socket.once('connect', () => {
          c.socket.write(head);
          c.socket.write(BURST, () => resolve());
          c.sent = true;
        });
      });
    });
    await Promise.all(batch);
  }
  return {
    clients,
    stop: () => {
      clearInterval(trickle);
      for (const c of clients) c.socket.destroy();
    },
  };
}

let nextEvent = 1;

/** One authentic POST on a new connection, tried again while the connection is closed unanswered; its time in ms, retries included. */
async function authenticPost(port: number): Promise<{ ms: number; tries: number }> {
  const body = textBatch(1, { first: 0 }).toString('utf8').replace(messageId(0), messageId(nextEvent++));
  const started = performance.now();
  for (let tries = 1; ; tries++) {
    const status = await new Promise<number | null>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: WEBHOOK_PATH,
          agent: false,
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signPayload(BENCH_SECRETS.WHATSAPP_APP_SECRET, body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? null));
        },
      );
      req.on('error', () => resolve(null));
      req.end(body);
    });
    if (status === 200) return { ms: performance.now() - started, tries };
    if (status !== null) throw new Error(`an authentic POST got ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function posts(port: number): Promise<Array<{ ms: number; tries: number }>> {
  const results = [];
  for (let i = 0; i < POSTS; i++) results.push(await authenticPost(port));
  return results;
}

/** The value of one metric line of the target's /metrics (retried while the service is full). */
async function metrics(port: number): Promise<Record<string, number>> {
  for (;;) {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const values: Record<string, number> = {};
      for (const line of text.split('\n')) {
        const [name, value] = line.split(' ');
        if (name && value && !name.startsWith('#')) values[name] = Number(value);
      }
      return values;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Run {
  role: Role;
  before: Sample;
  during: Sample;
  collected: Sample;
  after: Sample;
  heldDuring: number;
  peak: number;
  refused: number;
  dropped: number;
  answered503: number;
  unanswered: number;
  quiet: Array<{ ms: number; tries: number }>;
  flooded: Array<{ ms: number; tries: number }>;
}

async function run(role: Role): Promise<Run> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-bench-'));
  const child: ChildTarget = await startChild(__filename, ['serve', role, String(port), dataDir], ['--expose-gc']);
  try {
    const quiet = await posts(port);
    const before = await child.sample('before');
    progress(`${role}: ${CONNECTIONS} slow clients, ${BURST.length / 1024} KiB each at once, then a byte every ${TRICKLE_EVERY_MS} ms`);
    const f = await flood(port);
    // Every burst is in: what the service holds of it, or refused.
    const bursts = CONNECTIONS * BURST.length;
    await until(`${role}: the bursts read`, async () => {
      const m = await metrics(port);
      const refused = f.clients.filter((c) => c.answer.startsWith('HTTP/1.1 503 ')).length;
      const dropped = m.wa_onboard_http_connections_dropped_total ?? 0;
      return (m.wa_onboard_http_unverified_body_bytes ?? 0) + (refused + dropped) * BURST.length >= bursts;
    });
    const heldDuring = (await metrics(port)).wa_onboard_http_unverified_body_bytes ?? 0;
    const during = await child.sample('during');
    const collected = await child.sample('during, after GC');
    const flooded = await posts(port);
    const answered503 = f.clients.filter((c) => c.answer.startsWith('HTTP/1.1 503 ')).length;
    const unanswered = f.clients.filter((c) => c.answer === '' && !c.closed).length;
    f.stop();
    await until(`${role}: the bodies given back`, async () => (await metrics(port)).wa_onboard_http_unverified_body_bytes === 0);
    const m = await metrics(port);
    const after = await child.sample('after');
    return {
      role,
      before,
      during,
      collected,
      after,
      heldDuring,
      peak: m.wa_onboard_http_unverified_body_bytes_peak ?? 0,
      refused: m['wa_onboard_http_bodies_refused_total{route="webhook"}'] ?? 0,
      dropped: m.wa_onboard_http_connections_dropped_total ?? 0,
      answered503,
      unanswered,
      quiet,
      flooded,
    };
  } finally {
    await child.stop().catch(() => child.kill());
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const ms = (values: number[]) => `${median(values).toFixed(1)} ms (max ${Math.max(...values).toFixed(1)})`;

async function main(): Promise<void> {
  const runs = [await run('default caps'), await run('caps lifted')];
  const rows = runs.map((r) => [
    r.role,
    `${CONNECTIONS}: ${r.answered503} got 503, ${r.unanswered} still held, ${r.dropped} dropped`,
    `${mib(r.heldDuring)} (peak ${mib(r.peak)})`,
    `${mib(r.before.rss)} → ${mib(r.during.rss)} (${mib(r.collected.rss)} after a GC) → ${mib(r.after.rss)}`,
    `${mib(r.before.heapUsed)} → ${mib(r.collected.heapUsed)}`,
    ms(r.quiet.map((p) => p.ms)),
    `${ms(r.flooded.map((p) => p.ms))}, ${r.flooded.reduce((n, p) => n + p.tries - 1, 0)} retries`,
  ]);
  process.stdout.write(
    `\n## Slow-body flood (${new Date().toISOString().slice(0, 10)})\n\n${machine()}\n\n` +
      `${CONNECTIONS} slow clients, each declaring 3 MB and sending ${BURST.length / 1024} KiB at once (${mib(CONNECTIONS * BURST.length)} in all), then a byte every ${TRICKLE_EVERY_MS} ms; ${POSTS} authentic POSTs before and during.\n\n` +
      markdownTable(
        ['service', 'slow connections', 'unverified bytes held during', 'rss before → during → after the flood', 'heap before → during (after a GC)', 'authentic POST, quiet', 'authentic POST, during the flood'],
        rows,
      ) +
      '\n',
  );
}

if (process.argv[2] === 'serve') {
  void serve(process.argv[3] ?? '', Number(process.argv[4]), process.argv[5] ?? '');
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`slow-body flood: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
