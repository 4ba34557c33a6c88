// Load on the WhatsApp webhook: signed POST /webhooks/whatsapp, each a new ~1.5 KB Meta payload
// with its own message id and signature, against a bare node:http server that only reads the body.
// Both servers run in child processes (autocannon runs here), in alternating rounds of the same
// length, so a noisy neighbour on the machine weighs on both alike. Then a memory phase posts
// BENCH_EVENTS events to a fresh service and waits for its dispatcher to catch up. Only 127.0.0.1.
// With BENCH_STORE=postgres the service keeps everything in a PostgreSQL cluster the bench makes
// (initdb + pg_ctl on loopback, as the tests do), and each round loads the floor, one instance, and
// two instances behind autocannon's own round-robin, in turn.
// Run: npm run bench:webhook
//   BENCH_STORE (sqlite | postgres), BENCH_DURATION (s per round, 10), BENCH_ROUNDS (3),
//   BENCH_CONNECTIONS (50), BENCH_EVENTS (100000), BENCH_PROFILE=1 (CPU profile of the service),
//   BENCH_DISPATCHER=off (diagnostic), BENCH_PIN=off
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pino from 'pino';
import { freePort } from '../src/embedded/free-port';
import { createService } from '../src/service';
import { DATABASE_FILE } from '../src/store/sqlite/database';
import { startPostgresCluster, type PostgresCluster } from '../test/helpers/postgres/cluster';
import { readStore } from '../test/helpers/store-reader';
import { WEBHOOK_PATH } from '../src/whatsapp/routes';
import { signPayload } from '../src/whatsapp/sign';
import { toMetaWire } from '../test/helpers/meta-wire';
import {
  BENCH_SECRETS,
  benchConfig,
  cpuTimes,
  machine,
  markdownTable,
  median,
  mib,
  monotonicUs,
  pinCpus,
  pinWithTargets,
  quantile,
  serveBareInChild,
  serveInChild,
  startChild,
  stealShare,
  summariseProfile,
  type ChildTarget,
  type Sample,
  type ProfilePart,
  type ProfileRow,
  type Window,
} from './common';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Math.max(1, Math.round(DURATION / 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const PROFILE = process.env.BENCH_PROFILE === '1';
// A diagnostic, not a target: with the background dispatcher stopped, the rounds show what the
// intake alone costs, and so how much of the ratio the dispatcher's share of the thread takes.
const DISPATCHER = process.env.BENCH_DISPATCHER !== 'off';
const STORE: 'sqlite' | 'postgres' = process.env.BENCH_STORE === 'postgres' ? 'postgres' : 'sqlite';

// A text message with its contact and metadata, and a status, as Meta batches them. The ids are
// filled in per request; the message id's digits are how a stored row is matched to its answer.
const WIRE = toMetaWire({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
            contacts: [{ profile: { name: 'Zoë Ança Peña' }, wa_id: '5215550183726' }],
            messages: [
              {
                from: '5215550183726',
                id: 'MESSAGE_ID',
                timestamp: '1739325029',
                context: { from: '15550783881', id: 'wamid.HBgNNTIxNTU1MDE4MzcyNhUCABEYEjQ0QzFCRjA1OTVBQTIzQzM2AA==' },
                text: {
                  body:
                    '¿Abren mañana? Quiero recoger el pedido nº 1042 📦 en la tienda de São Paulo, ' +
                    'horario 9/18. Vi el enlace https://example.com/pedidos/1042?lang=es — ¡gracias! 🙏',
                },
                type: 'text',
              },
            ],
            statuses: [
              {
                id: 'STATUS_ID',
                status: 'delivered',
                timestamp: '1739325025',
                recipient_id: '5215550183726',
                conversation: {
                  id: 'b7e2a90c4d1f36e85a0b9c7d2e4f6a81',
                  expiration_timestamp: '1739411425',
                  origin: { type: 'service' },
                },
                pricing: { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' },
              },
            ],
          },
          field: 'messages',
        },
      ],
    },
  ],
});
const MESSAGE_ID_PREFIX = 'wamid.HBgNNTIxNTU1MDE4MzcyNhUCABIYF';
const MESSAGE_ID_IN_BODY = /"wamid\.HBgNNTIxNTU1MDE4MzcyNhUCABIYF(\d{12})QA=="/;

let nextEvent = 0;

/** Event `n` on the wire, and its X-Hub-Signature-256. */
function signedEvent(n: number): { body: string; signature: string } {
  const digits = String(n).padStart(12, '0');
  const body = WIRE.replace('MESSAGE_ID', `wamid.HBgNNTIxNTU1MDE4MzcyNhUCABIYF${digits}QA==`).replace(
    'STATUS_ID',
    `wamid.HBgNNTIxNTU1MDE4MzcyNhUCABEYE${digits}RA==`,
  );
  return { body, signature: signPayload(BENCH_SECRETS.WHATSAPP_APP_SECRET, body) };
}

interface Run {
  result: autocannon.Result;
  /** The event numbers answered 2xx. */
  answered: number[];
  /** Every 2xx's latency in ms, unrounded (autocannon's own histogram keeps whole milliseconds). */
  latencies: number[];
  window: Window;
  /** Share of the machine's CPU time the hypervisor took during the run. */
  steal: number;
  /** The target's event loop time and CPU time per answered request, in µs: what noise moves least. */
  loopUs: number;
  cpuUs: number;
}

let samples = 0;

/** One autocannon run of signed, unique events: for `duration` seconds, or `amount` requests. */
async function load(target: Target, bound: Bound, on2xx?: (count: number) => void): Promise<Run> {
  const before = await Promise.all(target.children.map((c) => c.sample(`run ${++samples}`)));
  const run = await cannon(target.urls, bound, on2xx);
  const after = await Promise.all(target.children.map((c) => c.sample(`run ${++samples}`)));
  const answered = Math.max(1, run.answered.length);
  // Summed over the instances: what one request costs the service, wherever it landed.
  const spent = (read: (s: Sample) => number) => after.reduce((sum, s, i) => sum + read(s) - read(before[i] as Sample), 0);
  return {
    ...run,
    loopUs: (spent((s) => s.loopActiveMs) * 1000) / answered,
    cpuUs: spent((s) => s.cpuUs) / answered,
  };
}

type Bound = { duration: number } | { amount: number };

function cannon(urls: string[], bound: Bound, on2xx?: (count: number) => void): Promise<Omit<Run, 'loopUs' | 'cpuUs'>> {
  const answered: number[] = [];
  const latencies: number[] = [];
  const request: autocannon.Request = {
    method: 'POST',
    path: WEBHOOK_PATH,
    setupRequest: (req, context) => {
      const n = nextEvent++;
      (context as { n?: number }).n = n;
      const { body, signature } = signedEvent(n);
      return { ...req, body, headers: { ...req.headers, 'content-type': 'application/json', 'x-hub-signature-256': signature } };
    },
    // One request in flight per connection: the context is the one its setupRequest filled in.
    onResponse: (status, _body, context) => {
      const n = (context as { n?: number }).n;
      if (status < 200 || status > 299 || n === undefined) return;
      answered.push(n);
      on2xx?.(answered.length);
    },
  };
  const fromUs = monotonicUs();
  const cpuBefore = cpuTimes();
  return new Promise((resolve, reject) => {
    // Several URLs: autocannon spreads the connections over them, as a round-robin balancer would.
    const url = (urls.length === 1 ? urls[0] : urls) as string;
    const instance = autocannon({ url, connections: CONNECTIONS, ...bound, requests: [request] }, (error: unknown, result) => {
      if (error) reject(error instanceof Error ? error : new Error(`autocannon failed: ${JSON.stringify(error)}`));
      else {
        const window = { fromUs, toUs: monotonicUs() };
        resolve({ result, answered, latencies, window, steal: stealShare(cpuBefore, cpuTimes()) });
      }
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status <= 299) latencies.push(ms);
    });
  });
}

/** Every child still running, to be killed if the bench fails. */
const children = new Set<ChildTarget>();

type Role = 'bare' | 'service' | 'service without dispatcher';

/** A server under load: one process, or several instances of the service on one database. */
interface Target {
  name: string;
  children: ChildTarget[];
  urls: string[];
  dataDirs: string[];
  /** Where the service keeps its data, when on PostgreSQL. */
  databaseUrl?: string;
}

async function startTarget(name: string, role: Role, options: { instances?: number; databaseUrl?: string; nodeFlags?: string[] } = {}): Promise<Target> {
  const target: Target = { name, children: [], urls: [], dataDirs: [], databaseUrl: options.databaseUrl };
  for (let n = 0; n < (options.instances ?? 1); n++) {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-bench-'));
    const child = await startChild(__filename, ['serve', role, String(port), dataDir, options.databaseUrl ?? ''], options.nodeFlags);
    children.add(child);
    target.children.push(child);
    target.urls.push(`http://127.0.0.1:${port}`);
    target.dataDirs.push(dataDir);
  }
  return target;
}

async function stopTarget(target: Target): Promise<void> {
  for (const child of target.children) {
    await child.stop();
    children.delete(child);
  }
}

function removeTarget(target: Target): void {
  for (const dir of target.dataDirs) fs.rmSync(dir, { recursive: true, force: true });
}

/** In the child: the bare floor, or the real service on a fresh data folder (or on PostgreSQL). */
async function serve(role: string, port: number, dataDir: string, databaseUrl: string): Promise<void> {
  if (role === 'bare') {
    await serveBareInChild(port);
    return;
  }
  const config = benchConfig({ DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  const service = await createService(config, { logger: pino({ level: 'silent' }) });
  await service.listen(port, '127.0.0.1');
  if (role === 'service without dispatcher') await service.dispatcher.stop();
  serveInChild(() => service.close());
}

/** Polls GET /api/webhook until nothing is pending; how long that took, in ms. */
async function caughtUp(url: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await fetch(`${url}/api/webhook`, { headers: { authorization: `Bearer ${BENCH_SECRETS.ADMIN_TOKEN}` } });
    const overview = (await res.json()) as { counts: { pending: number } };
    if (overview.counts.pending === 0) return Date.now() - started;
    if (Date.now() - started > 30 * 60_000) throw new Error(`still ${overview.counts.pending} pending after 30 min`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The event numbers in the stored POSTs, read after the service closed (PostgreSQL picks them out itself). */
async function storedEvents(target: Target): Promise<{ rows: number; numbers: Set<number> }> {
  if (target.databaseUrl) {
    // The 12 digits after the message id's fixed prefix, cut out of the bytes where they lie.
    const prefix = `"${MESSAGE_ID_PREFIX}`;
    const found = await readStore({ dataDir: target.dataDirs[0] ?? '', databaseUrl: target.databaseUrl }, (rows) =>
      rows<{ n: string | null }>(
        `SELECT convert_from(substring(body from position('${prefix}'::bytea in body) + ${prefix.length} for 12), 'UTF8') AS n
         FROM webhook_inbox WHERE position('${prefix}'::bytea in body) > 0`,
      ),
    );
    return { rows: found.length, numbers: new Set(found.flatMap((r) => (r.n ? [Number(r.n)] : []))) };
  }
  const db = new Database(path.join(target.dataDirs[0] ?? '', DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    const numbers = new Set<number>();
    let rows = 0;
    for (const row of db.prepare('SELECT body FROM webhook_inbox').iterate() as Iterable<{ body: Buffer }>) {
      rows++;
      const match = MESSAGE_ID_IN_BODY.exec(row.body.toString('latin1'));
      if (match?.[1]) numbers.add(Number(match[1]));
    }
    return { rows, numbers };
  } finally {
    db.close();
  }
}

interface Durability {
  answered: number;
  failed: number;
  rows: number;
  /** Answered 2xx, yet not in the file: must be 0. */
  missing: number;
}

/** Every 2xx must be a stored row; rows beyond them are POSTs cut off by the end of a run. */
async function durability(target: Target, runs: Run[]): Promise<Durability> {
  const { rows, numbers } = await storedEvents(target);
  const answered = runs.flatMap((r) => r.answered);
  return {
    answered: answered.length,
    failed: runs.reduce((sum, r) => sum + r.result.non2xx + r.result.errors + r.result.timeouts, 0),
    rows,
    missing: answered.filter((n) => !numbers.has(n)).length,
  };
}

function progress(line: string): void {
  process.stderr.write(`webhook bench: ${line}\n`);
}

interface Measured {
  target: string;
  runs: Run[];
  /** Before each round, how long the service's dispatcher took to finish the previous round's work. */
  catchUpMs: number[];
  check: Durability;
}

interface Throughput {
  bare: Run[];
  services: Measured[];
}

/** The services to measure against the floor: the embedded store, or PostgreSQL with one and two instances. */
async function startServices(cluster: PostgresCluster | undefined, profileDir: string | undefined): Promise<Target[]> {
  const role: Role = DISPATCHER ? 'service' : 'service without dispatcher';
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (!cluster) return [await startTarget('POST /webhooks/whatsapp on SQLite', role, { nodeFlags })];
  return [
    await startTarget('POST /webhooks/whatsapp on PostgreSQL, one instance', role, { databaseUrl: await createDatabase(cluster, 'bench_one'), nodeFlags }),
    await startTarget('POST /webhooks/whatsapp on PostgreSQL, two instances', role, { instances: 2, databaseUrl: await createDatabase(cluster, 'bench_two') }),
  ];
}

/** Warm-up of each, then rounds: wait for the services to be idle, load the bare server, load each service. */
async function throughput(cluster: PostgresCluster | undefined, profileDir: string | undefined): Promise<Throughput> {
  const bare = await startTarget('bare node:http (reads the body, answers 200)', 'bare');
  const services = await startServices(cluster, profileDir);
  progress(`${WARMUP} s warm-up each, then ${ROUNDS} rounds of ${DURATION} s per target at ${CONNECTIONS} connections`);
  await load(bare, { duration: WARMUP });
  const warm = await Promise.all(services.map(async (service) => load(service, { duration: WARMUP })));
  const result: Throughput = { bare: [], services: services.map((s) => ({ target: s.name, runs: [], catchUpMs: [], check: { answered: 0, failed: 0, rows: 0, missing: 0 } })) };
  for (let round = 1; round <= ROUNDS; round++) {
    // A service's background work would otherwise run during the next target's round.
    for (const [i, service] of services.entries()) if (DISPATCHER) result.services[i]?.catchUpMs.push(await caughtUp(service.urls[0] ?? ''));
    result.bare.push(await load(bare, { duration: DURATION }));
    for (const [i, service] of services.entries()) {
      if (DISPATCHER && i > 0) await caughtUp(services[i - 1]?.urls[0] ?? '');
      result.services[i]?.runs.push(await load(service, { duration: DURATION }));
    }
    progress(`round ${round}: bare ${rps(result.bare.at(-1)).toFixed(0)} req/s, ${result.services.map((m) => `${rps(m.runs.at(-1)).toFixed(0)} req/s`).join(', ')}`);
  }
  progress(`stopping${DISPATCHER ? ' (the dispatcher finishes its backlog first)' : ''}`);
  await stopTarget(bare);
  for (const [i, service] of services.entries()) {
    await stopTarget(service);
    const measured = result.services[i];
    if (measured) measured.check = await durability(service, [warm[i] as Run, ...measured.runs]);
    removeTarget(service);
  }
  removeTarget(bare);
  return result;
}

async function createDatabase(cluster: PostgresCluster, name: string): Promise<string> {
  await readStore({ dataDir: '', databaseUrl: cluster.url }, (rows) => rows(`CREATE DATABASE ${name}`));
  return cluster.urlOf(name);
}

function rps(run: Run | undefined): number {
  return run ? (run.result['2xx'] + run.result.non2xx) / run.result.duration : NaN;
}

interface MemoryPhase {
  samples: Sample[];
  /** The child's rss, once a second from the first event to the end of catch-up. */
  rssTimeline: number[];
  peakRss: number;
  postSeconds: number;
  catchUpMs: number;
  check: Durability;
}

/** BENCH_EVENTS events to a fresh service, its memory at 10%, 50%, 100% and once it caught up. */
async function memoryPhase(cluster: PostgresCluster | undefined): Promise<MemoryPhase> {
  const databaseUrl = cluster ? await createDatabase(cluster, 'bench_memory') : undefined;
  const target = await startTarget('service', 'service', { databaseUrl });
  const child = target.children[0] as ChildTarget;
  progress(`memory: posting ${EVENTS} events at ${CONNECTIONS} connections`);
  const ticksBefore = child.ticks.length;
  const marks = new Map([
    [Math.ceil(EVENTS * 0.1), '10%'],
    [Math.ceil(EVENTS * 0.5), '50%'],
  ]);
  const sampling: Array<Promise<Sample>> = [];
  const run = await load(target, { amount: EVENTS }, (count) => {
    const label = marks.get(count);
    if (label) sampling.push(child.sample(label));
  });
  sampling.push(child.sample('100%'));
  progress('memory: waiting for the dispatcher to catch up');
  const catchUpMs = await caughtUp(target.urls[0] ?? '');
  sampling.push(child.sample('caught up'));
  const samples = await Promise.all(sampling);
  const rssTimeline = child.ticks.slice(ticksBefore).map((t) => t.rss);
  const peakRss = Math.max(...rssTimeline, ...samples.map((s) => s.rss));
  await stopTarget(target);
  const check = await durability(target, [run]);
  removeTarget(target);
  return { samples, rssTimeline, peakRss, postSeconds: run.result.duration, catchUpMs, check };
}

/** Where the service's thread went: the dispatcher, the group commit, the request itself. */
const PARTS: ProfilePart[] = [
  {
    name: 'dispatcher: parse, dedupe, store events (WebhookDispatcher pass)',
    functions: [{ name: 'pass', file: 'whatsapp/dispatcher.ts' }],
  },
  {
    name: 'intake: group commit, one transaction + fsync (GroupCommit flush)',
    functions: [{ name: 'flush', file: 'store/group-commit.ts' }],
  },
  { name: 'intake: read, verify, answer (webhookIntake receive)', functions: [{ name: 'receive', file: 'whatsapp/intake.ts' }] },
];

function profileSummary(dir: string, windows: Window[]): string[] {
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return [`no .cpuprofile in ${dir}`];
  const { busyMs, idleMs, functions, files, parts } = summariseProfile(path.join(dir, file), PARTS, windows);
  const rows = (list: ProfileRow[], top = 15) => list.slice(0, top).map((f) => [f.name, f.ms.toFixed(0), `${(f.share * 100).toFixed(1)}%`]);
  return [
    `CPU profile of the service during its ${ROUNDS} measured rounds (${path.join(dir, file)}): ` +
      `busy ${busyMs.toFixed(0)} ms, idle ${idleMs.toFixed(0)} ms`,
    '',
    markdownTable(['part of the work (total time)', 'ms', 'share of busy'], rows(parts)),
    '',
    markdownTable(['function (self time)', 'ms', 'share of busy'], rows(functions)),
    '',
    markdownTable(['file or native group (self time)', 'ms', 'share of busy'], rows(files, 10)),
  ];
}

interface Summary {
  name: string;
  /** Median of the rounds. */
  rps: number;
  low: number;
  high: number;
  /** Over every request of every round. */
  p50: number;
  p99: number;
  /** Medians of the rounds. */
  loopUs: number;
  cpuUs: number;
}

function summary(name: string, runs: Run[]): Summary {
  const all = runs.flatMap((r) => r.latencies);
  const each = runs.map(rps);
  return {
    name,
    rps: median(each),
    low: Math.min(...each),
    high: Math.max(...each),
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    loopUs: median(runs.map((r) => r.loopUs)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
  };
}

const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(0)}%`);
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

function throughputLines(cpus: string, t: Throughput, floor: Summary, services: Array<{ summary: Summary; ratio: number; measured: Measured }>): string[] {
  const steal = (runs: Run[]) => runs.map((r) => pct(r.steal)).join(', ');
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const row = (m: Summary, ratio: string, perRound: string) => [
    m.name,
    m.rps.toFixed(0),
    `${m.low.toFixed(0)}–${m.high.toFixed(0)}`,
    m.p50.toFixed(1),
    m.p99.toFixed(1),
    ratio,
    perRound,
    m.loopUs.toFixed(0),
    m.cpuUs.toFixed(0),
  ];
  return [
    `${machine()} (${cpus}${STORE === 'postgres' ? `; PostgreSQL 15 on loopback, fsync on${cpus.startsWith('load generator') ? ', on the target\'s CPU' : ''}` : ''}); ${CONNECTIONS} connections, ` +
      `${ROUNDS} alternating round${ROUNDS === 1 ? '' : 's'} of ${DURATION} s per target after ${WARMUP} s of warm-up each`,
    '',
    markdownTable(
      ['target', 'req/s (median of rounds)', 'rounds', 'p50 ms', 'p99 ms', 'throughput vs bare', 'each round vs bare', 'loop µs/req', 'CPU µs/req'],
      [
        row(floor, '1.00', ''),
        ...services.map((s) => row(s.summary, s.ratio.toFixed(2), s.measured.runs.map((run, i) => (rps(run) / rps(t.bare[i])).toFixed(2)).join(', '))),
      ],
    ),
    '',
    `hypervisor steal during the rounds: bare ${steal(t.bare)}; ${services.map((s) => `${s.measured.target}: ${steal(s.measured.runs)}`).join('; ')}`,
    ...(DISPATCHER ? services.map((s) => `dispatcher catch-up before each round (${s.measured.target}): ${s.measured.catchUpMs.map(seconds).join(', ')}`) : []),
    ...services.map(
      ({ measured: { target, check } }) =>
        `stored before answered (${target}): ${check.answered} POSTs answered 2xx (warm-up and rounds), ${check.failed} non-2xx or errors, ` +
        `${check.rows} rows in webhook_inbox, ${check.missing} answered but not stored ` +
        `(${check.rows - check.answered} stored but cut off by the end of a run before their answer)`,
    ),
  ];
}

function memoryLines(memory: MemoryPhase): string[] {
  const when = (s: Sample) =>
    s.label === 'caught up' ? `the dispatcher caught up (+${(memory.catchUpMs / 1000).toFixed(1)} s)` : `${s.label} of ${EVENTS} events`;
  const every5s = memory.rssTimeline.filter((_, i) => i % 5 === 4).map((b) => (b / 2 ** 20).toFixed(0));
  return [
    '',
    markdownTable(['service memory after', 'rss', 'heapUsed'], memory.samples.map((s) => [when(s), mib(s.rss), mib(s.heapUsed)])),
    '',
    `memory phase: ${EVENTS} events posted in ${memory.postSeconds.toFixed(1)} s (${(EVENTS / memory.postSeconds).toFixed(0)} req/s), ` +
      `peak rss ${mib(memory.peakRss)}; ${memory.check.answered} answered 2xx, ${memory.check.failed} non-2xx or errors, ` +
      `${memory.check.rows} rows stored, ${memory.check.missing} answered but not stored`,
    ...(every5s.length > 0 ? [`rss every 5 s: ${every5s.join(', ')} MiB`] : []),
  ];
}

function report(cpus: string, t: Throughput, memory: MemoryPhase | undefined): string[] {
  const floor = summary('bare node:http (reads the body, answers 200)', t.bare);
  const suffix = DISPATCHER ? ' (verified, stored with fsync, dispatched)' : ' (dispatcher stopped)';
  // Each round's service against the floor measured just before it, under the same neighbours.
  const services = t.services.map((measured) => ({
    measured,
    summary: summary(measured.target + suffix, measured.runs),
    ratio: median(measured.runs.map((run, i) => rps(run) / rps(t.bare[i]))),
    worst: Math.min(...measured.runs.map((run, i) => rps(run) / rps(t.bare[i]))),
  }));
  const rss = (label: string) => memory?.samples.find((s) => s.label === label)?.rss ?? NaN;
  const goals: string[][] = [];
  for (const s of services) {
    const stored = s.measured.check.missing === 0 && s.measured.check.failed === 0;
    // The embedded store must hold half the floor in every round; PostgreSQL, a round trip away, 0.3.
    const floorShare = STORE === 'postgres' ? 0.3 : 0.5;
    const one = !s.measured.target.includes('two instances');
    if (one) {
      goals.push([
        s.measured.target,
        `≥ ${floorShare} of bare in every round, every event stored before its 200`,
        `${s.worst.toFixed(2)} at worst (median ${s.ratio.toFixed(2)}), ${s.measured.check.missing} unstored`,
        verdict(s.worst >= floorShare && stored),
      ]);
      goals.push([s.measured.target, `p99 ≤ 30 ms at ${CONNECTIONS} connections`, `${s.summary.p99.toFixed(1)} ms`, verdict(s.summary.p99 <= 30)]);
    } else {
      goals.push([s.measured.target, 'every event stored before its 200', `median ${s.ratio.toFixed(2)} of bare, ${s.measured.check.missing} unstored`, verdict(stored)]);
    }
  }
  if (memory) {
    // Judged over the second half: the first warms V8's heap, the allocator and (on PostgreSQL) the
    // pool's connections up to the rate of the load; a leak grows with the events, in either half.
    const flat = rss('100%') <= rss('50%') * 1.2;
    goals.push([
      'memory',
      `flat over ${EVENTS} events (rss at 100% within 20% of 50%)`,
      `${mib(rss('10%'))} → ${mib(rss('50%'))} → ${mib(rss('100%'))}`,
      verdict(flat),
    ]);
  }
  return [
    ...throughputLines(cpus, t, floor, services),
    ...(memory ? memoryLines(memory) : []),
    '',
    markdownTable(['target', 'goal', 'measured', 'verdict'], goals),
  ];
}

async function main(): Promise<void> {
  const cpus = pinCpus();
  const profileDir = PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-profile-')) : undefined;
  const cluster = STORE === 'postgres' ? await startPostgresCluster() : undefined;
  // The database is part of what is measured: it shares the target's CPU, not the load generator's.
  if (cluster) pinWithTargets(cluster.pids());
  try {
    const t = await throughput(cluster, profileDir);
    const memory = EVENTS > 0 ? await memoryPhase(cluster) : undefined;
    const lines = report(cpus, t, memory);
    if (profileDir) lines.push('', ...profileSummary(profileDir, t.services[0]?.runs.map((r) => r.window) ?? []));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await cluster?.destroy();
  }
}

if (process.argv[2] === 'serve') {
  const [, , , role = '', port = '', dataDir = '', databaseUrl = ''] = process.argv;
  serve(role, Number(port), dataDir, databaseUrl).catch((error: unknown) => {
    process.stderr.write(`bench target failed: ${String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    for (const child of children) child.kill();
    process.exit(1);
  });
}
