// The webhook's latency while a backfill queues 100,000 stored events to a target added later:
// signed POST /webhooks/whatsapp, in alternating rounds of the same length, against the bare
// node:http floor, the service idle, and the same service while POST /api/forwards/backfill queues
// BENCH_BACKFILL events (sent in the round's first moment) and the forwarder starts sending them.
// Twice: at full load (50 connections, as fast as each is answered), and at a steady BENCH_RATE
// POSTs a second, a busy number's traffic, where what counts is each POST's time, not the rate. The service was first given the events (100 per POST, over 10 phone numbers), with no target,
// and stopped; each round starts it on a copy of that store (the SQLite folder copied, or a PostgreSQL
// database made from it as a template) with a target added, so every round's backfill finds the
// same events owed, and stops it once the round is over. Before each of its rounds the service has
// dispatched and forwarded what it owes. Only 127.0.0.1.
// Run: npm run bench:backfill   (BENCH_STORE, sqlite | postgres; BENCH_BACKFILL, 100000;
//   BENCH_DURATION s per round, 10; BENCH_ROUNDS, 3; BENCH_CONNECTIONS, 50; BENCH_RATE, 250; BENCH_PIN=off;
//   BENCH_PROFILE=full | steady: a CPU profile of the service in that load's last round, the busiest
//   functions of its idle and backfill rounds printed)
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { freePort } from '../src/embedded/free-port';
import { createService } from '../src/service';
import { WEBHOOK_PATH } from '../src/whatsapp/routes';
import { signPayload } from '../src/whatsapp/sign';
import { readStore } from '../test/helpers/store-reader';
import { messageId, textBatch } from '../test/helpers/meta-payloads';
import { startPostgresCluster, type PostgresCluster } from '../test/helpers/postgres/cluster';
import {
  BENCH_SECRETS,
  benchConfig,
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
  summariseProfile,
  webhookRound,
  type ChildTarget,
  type LoadRound,
  type ProfileRow,
  type Window,
} from './common';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BACKFILL = Number(process.env.BENCH_BACKFILL ?? 100_000);
/** The steady phase's POSTs a second: about three statuses a message for a number sending 80 messages a second. */
const RATE = Number(process.env.BENCH_RATE ?? 250);
const STORE: 'sqlite' | 'postgres' = process.env.BENCH_STORE === 'postgres' ? 'postgres' : 'sqlite';
const FORWARD_SECRET = 'bench-forward-secret-0123456789';
/** The webhook's own target at 50 connections (bench:webhook), which must hold during a backfill at full load. */
const P99_TARGET_MS = 30;
/** The stored events' phone numbers: ten lanes, sent ten at a time. */
const LANES = Array.from({ length: 10 }, (_, i) => String(106540352242922 + i));
const PER_POST = 100;
const AUTH = { authorization: `Bearer ${BENCH_SECRETS.ADMIN_TOKEN}` };
const PROFILE = process.env.BENCH_PROFILE === 'full' || process.env.BENCH_PROFILE === 'steady' ? process.env.BENCH_PROFILE : undefined;

// One text message on Meta's wire; each request swaps in its own message id, past the stored ones.
const TEMPLATE = textBatch(1, { first: 0 }).toString('utf8');
const FIRST_LIVE_EVENT = 50_000_000;
let nextEvent = FIRST_LIVE_EVENT;

interface Round extends LoadRound {
  /** The share of the round the target's event loop was busy (CPU work and blocking calls alike). */
  loopBusy: number;
}

/** `load` against a target child, with the share of it the child's event loop was busy. */
async function loaded(child: ChildTarget, load: () => Promise<LoadRound>): Promise<Round> {
  const before = await child.sample(`before ${nextSample}`);
  const fromMs = performance.now();
  const result = await load();
  const after = await child.sample(`after ${nextSample++}`);
  return { ...result, loopBusy: (after.loopActiveMs - before.loopActiveMs) / (performance.now() - fromMs) };
}
let nextSample = 0;

/** A new POST of one text message, past the stored events. */
const nextBody = (): string => TEMPLATE.replace(messageId(0), messageId(nextEvent++));

/** A round of `seconds` against `target`: as fast as the connections are answered, or `rate` POSTs a second. */
function round(target: { url: string; child: ChildTarget }, seconds = DURATION, rate?: number): Promise<Round> {
  return loaded(target.child, () => (rate ? steadyRound(target.url, seconds, rate) : webhookRound(target.url, CONNECTIONS, seconds, nextBody)));
}


/**
 * `rate` POSTs a second, evenly spaced, each timed from when it was due to its answer, over up to
 * CONNECTIONS kept-alive connections. Not autocannon's overallRate: that sends a second's requests
 * back to back at the start of each second, and the queue it makes was most of what it measured
 * (the bare server's p99 was 31 ms at 250 a second).
 */
function steadyRound(url: string, seconds: number, rate: number): Promise<LoadRound> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let non2xx = 0;
  let answered = 0;
  let sent = 0;
  const total = Math.round(seconds * rate);
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      clearInterval(timer);
      agent.destroy();
      resolve({ rps: answered / seconds, latencies, non2xx });
    };
    const send = (dueAt: number) => {
      const body = nextBody();
      const signature = signPayload(BENCH_SECRETS.WHATSAPP_APP_SECRET, body);
      const req = http.request(`${url}${WEBHOOK_PATH}`, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-hub-signature-256': signature },
      });
      const done = (ok: boolean) => {
        if (ok) {
          answered++;
          latencies.push(performance.now() - dueAt);
        } else non2xx++;
        if (answered + non2xx === total) finish();
      };
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode <= 299));
      });
      req.on('error', () => done(false));
      req.end(body);
    };
    // Every millisecond, whatever has fallen due: a late timer sends its POSTs at once, timed from when they were due.
    const timer = setInterval(() => {
      // POST n is due n / rate seconds in: the first at once.
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      for (; sent < due; sent++) send(started + (sent * 1000) / rate);
    }, 1);
  });
}

interface Receiver {
  url: string;
  /** How many of the stored events the target at `pathname` has received so far. */
  got: (pathname: string) => Promise<number>;
  close: () => void;
}

/**
 * The targets' receiver, in a process of its own (on the load generator's CPU when pinned: a fork
 * keeps its parent's): its work never shares an event loop with the load generator, whose every
 * late turn would count as the service's latency.
 */
async function startCountingReceiver(): Promise<Receiver> {
  const child = fork(__filename, ['receiver'], { execArgv: ['--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    got: async (pathname) => ((await (await fetch(`${url}/counts`)).json()) as Record<string, number>)[pathname] ?? 0,
    close: () => child.kill(),
  };
}

/** In the receiver's process: answers 200 at once, counts the stored events each target got, and tells them at GET /counts. */
function serveReceiver(): void {
  const got: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/counts') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(got));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // The stored events are numbered below the rounds' own (see nextEvent).
      const n = Number(/wamid\.TEST(\d{8})/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? NaN);
      if (n < FIRST_LIVE_EVENT) got[req.url ?? ''] = (got[req.url ?? ''] ?? 0) + 1;
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

interface Service {
  url: string;
  child: ChildTarget;
}

async function startService(dataDir: string, databaseUrl: string, forwardUrls: string[], nodeFlags: string[] = []): Promise<Service> {
  const port = await freePort();
  const child = await startChild(__filename, ['serve', 'service', String(port), dataDir, databaseUrl, forwardUrls.join(',')], nodeFlags);
  return { url: `http://127.0.0.1:${port}`, child };
}

/** In the child: the bare floor, or the service forwarding to `forwardUrls`. */
async function serve(role: string, port: number, dataDir: string, databaseUrl: string, forwardUrls: string): Promise<void> {
  if (role === 'bare') {
    await serveBareInChild(port);
    return;
  }
  const config = benchConfig({
    DATA_DIR: dataDir,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...(forwardUrls ? { FORWARD_URL: forwardUrls, FORWARD_SECRET } : {}),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const service = await createService(config, { logger: pino({ level: 'silent' }) });
  await service.listen(port, '127.0.0.1');
  serveInChild(() => service.close());
}

/** Gives the service BACKFILL events, PER_POST to a POST, over LANES, eight POSTs at a time. */
async function seed(url: string): Promise<void> {
  const posts = Array.from({ length: Math.ceil(BACKFILL / PER_POST) }, (_, i) => i);
  const worker = async () => {
    for (let i = posts.shift(); i !== undefined; i = posts.shift()) {
      const body = textBatch(Math.min(PER_POST, BACKFILL - i * PER_POST), { first: i * PER_POST, phoneNumberId: LANES[i % LANES.length] });
      const res = await fetch(`${url}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signPayload(BENCH_SECRETS.WHATSAPP_APP_SECRET, body) },
        body,
      });
      if (res.status !== 200) throw new Error(`seeding: POST answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Waits until the service has dispatched everything and owes nothing to its configured target. */
async function settle(url: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const overview = (await (await fetch(`${url}/api/webhook`, { headers: AUTH })).json()) as {
      counts: { pending: number; events: number };
      forwarding: Array<{ backlog: number; configured: boolean }>;
    };
    if (overview.counts.pending === 0 && overview.forwarding.every((f) => f.backlog === 0 || !f.configured)) return;
    if (Date.now() - started > 30 * 60_000) throw new Error('the service did not settle in 30 min');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Backfill {
  queued: number;
  /** From the request to its answer: the time the queueing held. */
  ms: number;
  /** How many of the stored events the target had received when the round ended. */
  sentInRound: number;
}

function progress(line: string): void {
  process.stderr.write(`backfill bench: ${line}\n`);
}

/** One load's rounds: the floor, the service idle, and the service backfilling, each at the same load. */
interface Phase {
  name: string;
  rate?: number;
  bare: Round[];
  idle: Round[];
  backfill: Round[];
  backfills: Backfill[];
  /** The service's rss at its highest during each backfill round. */
  rss: number[];
}

interface Bench {
  /** The seeded store, copied for every round's service. */
  storeOfRound: (name: string) => Promise<{ dataDir: string; databaseUrl: string }>;
  receiver: Receiver;
  bare: { url: string; child: ChildTarget };
  since: Date;
  profileDir?: string;
  /** The profiled service's idle and backfill rounds. */
  windows: { idle?: Window; backfill?: Window };
}

/**
 * One round of `phase`: a service on a fresh copy of the store, with a target of its own, loaded
 * idle and then while it backfills that target, the floor loaded between them at the same load.
 */
async function phaseRound(bench: Bench, phase: Phase, r: number, profiled: boolean): Promise<void> {
  const store = await bench.storeOfRound(`${phase.rate ? 'steady' : 'full'}_${r}`);
  const target = `${bench.receiver.url}/${phase.rate ? 'steady' : 'full'}-${r}`;
  const flags = profiled && bench.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${bench.profileDir}`] : [];
  const service = await startService(store.dataDir, store.databaseUrl, [target], flags);
  try {
    await round(service, 3, phase.rate);
    await settle(service.url);
    phase.bare.push(await round(bench.bare, DURATION, phase.rate));
    await settle(service.url);
    const idleFromUs = monotonicUs();
    phase.idle.push(await round(service, DURATION, phase.rate));
    if (profiled) bench.windows.idle = { fromUs: idleFromUs, toUs: monotonicUs() };
    await settle(service.url);
    const ticksBefore = service.child.ticks.length;
    const started = Date.now();
    const fromUs = monotonicUs();
    const asked = fetch(`${service.url}/api/forwards/backfill`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ target, since: bench.since.toISOString() }),
    }).then(
      async (res) => ({ status: res.status, body: (await res.json()) as { queued?: number; message?: string }, ms: Date.now() - started }),
      (error: unknown) => {
        throw new Error(`the backfill got no answer after ${Date.now() - started} ms: ${String((error as { cause?: unknown }).cause ?? error)}`);
      },
    );
    phase.backfill.push(await round(service, DURATION, phase.rate));
    // Counted as the round ends: the backfill may answer after it, and what goes out then is not the round's.
    const sentInRound = await bench.receiver.got(new URL(target).pathname);
    if (profiled) bench.windows.backfill = { fromUs, toUs: monotonicUs() };
    const answer = await asked;
    if (answer.status !== 200) throw new Error(`the backfill answered ${answer.status}: ${answer.body.message ?? ''}`);
    phase.backfills.push({ queued: answer.body.queued ?? 0, ms: answer.ms, sentInRound });
    phase.rss.push(Math.max(...service.child.ticks.slice(ticksBefore).map((t) => t.rss)));
    progress(
      `${phase.name}, round ${r}: bare ${phase.bare.at(-1)?.rps.toFixed(0)} req/s, idle ${phase.idle.at(-1)?.rps.toFixed(0)} req/s, ` +
        `backfill ${phase.backfill.at(-1)?.rps.toFixed(0)} req/s (${answer.body.queued} queued in ${answer.ms} ms)`,
    );
  } finally {
    await service.child.stop();
    fs.rmSync(store.dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cpus = pinCpus();
  const cluster: PostgresCluster | undefined = STORE === 'postgres' ? await startPostgresCluster() : undefined;
  if (cluster) pinWithTargets(cluster.pids());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-bench-'));
  const databaseUrl = cluster ? await createDatabase(cluster, 'bench_backfill') : '';
  const receiver = await startCountingReceiver();
  try {
    progress(`storing ${BACKFILL} events (${PER_POST} per POST, ${LANES.length} phone numbers), no target configured`);
    const seeding = await startService(dataDir, databaseUrl, []);
    await seed(seeding.url);
    await settle(seeding.url);
    await seeding.child.stop();

    const barePort = await freePort();
    const bare = { url: `http://127.0.0.1:${barePort}`, child: await startChild(__filename, ['serve', 'bare', String(barePort), '', '', '']) };
    const bench: Bench = {
      // A copy of the folder, or a database made from the seeded one as a template.
      storeOfRound: async (name) => {
        const copy = `${dataDir}-${name}`;
        fs.cpSync(dataDir, copy, { recursive: true });
        return { dataDir: copy, databaseUrl: cluster ? await createDatabase(cluster, `bench_${name}`, 'bench_backfill') : '' };
      },
      receiver,
      bare,
      since: new Date(Date.now() - 60 * 60_000),
      profileDir: PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-profile-')) : undefined,
      windows: {},
    };
    const empty = () => ({ bare: [], idle: [], backfill: [], backfills: [], rss: [] });
    const full: Phase = { name: `full load (${CONNECTIONS} connections)`, ...empty() };
    const steady: Phase = { name: `steady ${RATE} POSTs/s`, rate: RATE, ...empty() };
    progress(`${ROUNDS} rounds of ${DURATION} s per target, at full load and at ${RATE} POSTs/s, each after 3 s of warm-up`);
    await round(bare, 3);
    for (let r = 1; r <= ROUNDS; r++) {
      await phaseRound(bench, full, r, r === ROUNDS && PROFILE === 'full');
      await phaseRound(bench, steady, r, r === ROUNDS && PROFILE === 'steady');
    }
    bare.child.kill();
    process.stdout.write(`${report(cpus, [full, steady])}\n`);
    if (bench.profileDir) {
      for (const [name, window] of Object.entries(bench.windows)) process.stdout.write(`\n${busiest(bench.profileDir, name, window).join('\n')}\n`);
    }
  } finally {
    receiver.close();
    await cluster?.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(cpus: string, phases: Phase[]): string {
  const row = (phase: Phase, name: string, runs: Round[]) => {
    const all = runs.flatMap((x) => x.latencies);
    const ratio = median(runs.map((x, i) => x.rps / (phase.bare[i]?.rps ?? NaN)));
    return [
      `${phase.name}: ${name}`,
      median(runs.map((x) => x.rps)).toFixed(0),
      quantile(all, 0.5).toFixed(1),
      quantile(all, 0.99).toFixed(1),
      ratio.toFixed(2),
      `${(median(runs.map((x) => x.loopBusy)) * 100).toFixed(0)}%`,
      String(runs.reduce((n, x) => n + x.non2xx, 0)),
    ];
  };
  const p99 = (runs: Round[]) => quantile(runs.flatMap((x) => x.latencies), 0.99);
  const verdicts = phases.map((phase) =>
    phase.rate
      ? // Nearly alone in its commit, a POST at this rate waits mostly for the disk's sync: the idle service is the baseline.
        `${phase.name}: p99 during a backfill ${p99(phase.backfill).toFixed(1)} ms, idle ${p99(phase.idle).toFixed(1)} ms`
      : `${phase.name}: p99 during a backfill ${p99(phase.backfill).toFixed(1)} ms; target ≤ ${P99_TARGET_MS} ms: ${p99(phase.backfill) <= P99_TARGET_MS ? 'met' : '**missed**'}`,
  );
  return [
    `${machine()} (${cpus}); ${STORE === 'postgres' ? 'PostgreSQL 15 on loopback' : 'SQLite'}; ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION} s per target`,
    '',
    markdownTable(
      ['load: target', 'req/s (median)', 'p50 ms', 'p99 ms', 'vs bare', 'event loop busy', 'non-2xx or errors'],
      phases.flatMap((phase) => [
        row(phase, 'bare', phase.bare),
        row(phase, 'service, idle', phase.idle),
        row(phase, `service, backfilling ${BACKFILL} events`, phase.backfill),
      ]),
    ),
    '',
    markdownTable(
      ['load', 'round', 'queued', 'answered after', 'of them sent to the target during the round', 'service rss (max)'],
      phases.flatMap((phase) => phase.backfills.map((b, i) => [phase.name, String(i + 1), String(b.queued), `${b.ms} ms`, String(b.sentInRound), mib(phase.rss[i] ?? NaN)])),
    ),
    '',
    ...verdicts,
  ].join('\n');
}

/** The profiled service's busiest functions (self time) during its round `name`. */
function busiest(dir: string, name: string, window: Window): string[] {
  const file = fs.readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return ['no CPU profile was written'];
  const { functions, files, busyMs, idleMs } = summariseProfile(path.join(dir, file), [], [window]);
  const table = (rows: ProfileRow[]) => markdownTable(['self time', 'ms', 'share of busy'], rows.slice(0, 15).map((f) => [f.name, f.ms.toFixed(0), `${(f.share * 100).toFixed(1)}%`]));
  return [`CPU profile of the service during its ${name} round (${PROFILE} load): ${busyMs.toFixed(0)} ms busy, ${idleMs.toFixed(0)} ms idle`, '', table(functions), '', table(files)];
}

async function createDatabase(cluster: PostgresCluster, name: string, template?: string): Promise<string> {
  await readStore({ dataDir: '', databaseUrl: cluster.url }, (rows) => rows(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  return cluster.urlOf(name);
}

if (process.argv[2] === 'receiver') {
  serveReceiver();
} else if (process.argv[2] === 'serve') {
  const [, , , role = '', port = '', dataDir = '', databaseUrl = '', forwardUrls = ''] = process.argv;
  serve(role, Number(port), dataDir, databaseUrl, forwardUrls).catch((error: unknown) => {
    process.stderr.write(`bench target failed: ${String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
