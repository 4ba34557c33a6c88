// The webhook's latency while the team's forward receiver is slow: signed POST /webhooks/whatsapp
// at 50 connections against three targets in alternating rounds of the same length: the bare
// node:http floor, the service forwarding to a receiver that answers at once, and the service
// forwarding to a receiver that answers each event after 10 s. Forwarding runs from the store in
// the background, so a slow receiver must not reach Meta's answers. Before each round every service
// has dispatched (and, to the quick receiver, forwarded) what it was sent. Only 127.0.0.1.
// Run: npm run bench:slow-receiver   (BENCH_DURATION s per round, 10; BENCH_ROUNDS, 3; BENCH_CONNECTIONS, 50;
//   BENCH_PROFILE=1: a CPU profile of the service forwarding to the slow receiver, its busiest functions printed)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEventReceiver, type EventReceiver } from '../src/embedded/event-receiver';
import { freePort } from '../src/embedded/free-port';
import { createService } from '../src/service';
import { messageId, textBatch } from '../test/helpers/meta-payloads';
import {
  BENCH_SECRETS,
  benchConfig,
  machine,
  markdownTable,
  median,
  pinCpus,
  quantile,
  serveBareInChild,
  serveInChild,
  startChild,
  summariseProfile,
  webhookRound,
  type ChildTarget,
  type LoadRound,
} from './common';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SLOW_MS = 10_000;
const FORWARD_SECRET = 'bench-forward-secret-0123456789';
/** The benchmark target of `npm run bench:webhook`, which must hold while the receiver is slow. */
const P99_TARGET_MS = 30;
const PROFILE = process.env.BENCH_PROFILE === '1';

// One text message on Meta's wire; each request swaps in its own message id.
const TEMPLATE = textBatch(1, { first: 0 }).toString('utf8');
let nextEvent = 1;

function round(url: string, seconds = DURATION): Promise<LoadRound> {
  return webhookRound(url, CONNECTIONS, seconds, () => TEMPLATE.replace(messageId(0), messageId(nextEvent++)));
}

type Role = 'bare' | 'service' | 'service, receiver slow';

interface Target {
  role: Role;
  url: string;
  child: ChildTarget;
  dataDir: string;
  rounds: LoadRound[];
}

async function startTarget(role: Role, forwardUrl: string, nodeFlags: string[] = []): Promise<Target> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-bench-'));
  const child = await startChild(__filename, ['serve', role, String(port), dataDir, forwardUrl], nodeFlags);
  return { role, url: `http://127.0.0.1:${port}`, child, dataDir, rounds: [] };
}

/** In the child: the bare floor, or the service forwarding every event to `forwardUrl`. */
async function serve(role: string, port: number, dataDir: string, forwardUrl: string): Promise<void> {
  if (role === 'bare') {
    await serveBareInChild(port);
    return;
  }
  const config = benchConfig({ DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, FORWARD_URL: forwardUrl, FORWARD_SECRET });
  const service = await createService(config, { logger: pino({ level: 'silent' }) });
  await service.listen(port, '127.0.0.1');
  serveInChild(() => service.close());
}

/**
 * Waits until a service has dispatched what it was sent and, with the quick receiver, forwarded it:
 * the targets share CPU 1, and one's leftover work must not run during another's round.
 */
async function settle(target: Target): Promise<void> {
  if (target.role === 'bare') return;
  const started = Date.now();
  for (;;) {
    const res = await fetch(`${target.url}/api/webhook`, { headers: { authorization: `Bearer ${BENCH_SECRETS.ADMIN_TOKEN}` } });
    const overview = (await res.json()) as { counts: { pending: number }; forwarding: Array<{ backlog: number }> };
    const forwarded = target.role === 'service, receiver slow' || overview.forwarding.every((f) => f.backlog === 0);
    if (overview.counts.pending === 0 && forwarded) return;
    if (Date.now() - started > 10 * 60_000) throw new Error(`${target.role} did not settle in 10 min`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function progress(line: string): void {
  process.stderr.write(`slow-receiver bench: ${line}\n`);
}

async function main(): Promise<void> {
  const cpus = pinCpus();
  const profileDir = PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-profile-')) : undefined;
  const quick = await startEventReceiver();
  const slow: EventReceiver = await startEventReceiver();
  slow.answerAfter(SLOW_MS);
  const targets = [
    await startTarget('bare', quick.url),
    await startTarget('service', quick.url),
    await startTarget('service, receiver slow', slow.url, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
  ];
  progress(`3 s warm-up each, then ${ROUNDS} rounds of ${DURATION} s per target at ${CONNECTIONS} connections`);
  for (const t of targets) await round(t.url, 3);
  for (let r = 1; r <= ROUNDS; r++) {
    for (const t of targets) {
      for (const other of targets) await settle(other);
      t.rounds.push(await round(t.url));
    }
    progress(`round ${r}: ${targets.map((t) => `${t.role} ${t.rounds.at(-1)?.rps.toFixed(0)} req/s`).join(', ')}`);
  }
  const slowTaken = slow.events.length;
  const slowAttempts = slow.attempts;
  for (const t of targets) {
    // The profiled child writes its profile when it exits on its own.
    if (profileDir) await t.child.stop();
    else t.child.kill();
    fs.rmSync(t.dataDir, { recursive: true, force: true });
  }
  await Promise.all([quick.close(), slow.close()]);

  const bare = targets[0];
  const rows = targets.map((t) => {
    const all = t.rounds.flatMap((x) => x.latencies);
    const ratio = median(t.rounds.map((x, i) => x.rps / (bare?.rounds[i]?.rps ?? NaN)));
    return [t.role, median(t.rounds.map((x) => x.rps)).toFixed(0), quantile(all, 0.5).toFixed(1), quantile(all, 0.99).toFixed(1), ratio.toFixed(2), String(t.rounds.reduce((n, x) => n + x.non2xx, 0))];
  });
  const slowP99 = quantile(targets[2]?.rounds.flatMap((x) => x.latencies) ?? [], 0.99);
  const lines = [
    `${machine()} (${cpus}); ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION} s per target`,
    '',
    markdownTable(['target', 'req/s (median)', 'p50 ms', 'p99 ms', 'vs bare', 'non-2xx or errors'], rows),
    '',
    `the slow receiver took ${slowTaken} events (${slowAttempts} requests held ${SLOW_MS / 1000} s each) while Meta's POSTs were answered`,
    `p99 with the receiver slow: ${slowP99.toFixed(1)} ms; target < ${P99_TARGET_MS} ms: ${slowP99 < P99_TARGET_MS ? 'met' : '**missed**'}`,
  ];
  if (profileDir) lines.push('', ...busiest(profileDir));
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The profiled service's busiest functions (self time), from the profile its exit wrote. */
function busiest(dir: string): string[] {
  const file = fs.readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return ['no CPU profile was written'];
  const { functions, busyMs } = summariseProfile(path.join(dir, file), []);
  return [
    `CPU profile of the service with the slow receiver: ${busyMs.toFixed(0)} ms busy`,
    '',
    markdownTable(['function (self time)', 'ms', 'share of busy'], functions.slice(0, 15).map((f) => [f.name, f.ms.toFixed(0), `${(f.share * 100).toFixed(1)}%`])),
  ];
}

if (process.argv[2] === 'serve') {
  const [, , , role = '', port = '', dataDir = '', forwardUrl = ''] = process.argv;
  serve(role, Number(port), dataDir, forwardUrl).catch((error: unknown) => {
    process.stderr.write(`bench target failed: ${String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
