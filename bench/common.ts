// What the bench scripts share: the service's configuration for a run, targets in child processes,
// the machine a run was on, the markdown they print, and a summary of a V8 CPU profile.
import { fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import autocannon from 'autocannon';
import { loadConfig, type Config } from '../src/config';
import { WEBHOOK_PATH } from '../src/whatsapp/routes';
import { signPayload } from '../src/whatsapp/sign';

/**
 * Every secret the service takes, set explicitly: local mode (NODE_ENV unset) would otherwise
 * generate some and write them under DATA_DIR. With no recipients and no forwarding, no delivery
 * competes with the request path being measured.
 */
export const BENCH_SECRETS = {
  ADMIN_TOKEN: 'bench-admin-token-0123456789',
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'b'.repeat(32),
  TWILIO_PHONE_NUMBER: '+15005550006',
  WHATSAPP_VERIFY_TOKEN: 'bench-verify-token',
  WHATSAPP_APP_SECRET: 'bench-meta-app-secret-0123456789',
} as const;

/** The service's configuration in local mode, every secret from `BENCH_SECRETS`. */
export function benchConfig(env: { DATA_DIR: string; PUBLIC_URL: string; PORT?: string; FORWARD_URL?: string; FORWARD_SECRET?: string; CALL_FORWARD_LIMIT?: string }): Config {
  const { config } = loadConfig({ ...BENCH_SECRETS, LOG_LEVEL: 'silent', ...env }, () => {
    throw new Error('every secret is set: local mode must not generate any');
  });
  return config;
}

/** "node v20…, 2 × Intel Xeon …": what a reader needs to compare runs. */
export function machine(): string {
  const cpus = os.cpus();
  return `node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${os.platform()} ${os.release()}`;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  /** Microseconds on the monotonic clock, the one `process.hrtime` reads in every process. */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One row of a profile summary: a function, a file or a part of the work, and the time spent in it. */
export interface ProfileRow {
  name: string;
  ms: number;
  /** Share of the busy time (all samples but `(idle)`). */
  share: number;
}

/** A part of the work: the samples with one of `functions` (a name in a file ending with `file`) on their stack. */
export interface ProfilePart {
  name: string;
  functions: Array<{ name: string; file: string }>;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  /** Self time per function: time in it, not in what it calls. */
  functions: ProfileRow[];
  /** Self time per file (native groups such as `(garbage collector)` by name). */
  files: ProfileRow[];
  /** Total time per part, in the order given, then `everything else`; a sample counts for its innermost part. */
  parts: ProfileRow[];
}

/** A stretch of time, in microseconds of `process.hrtime.bigint() / 1000n`. */
export interface Window {
  fromUs: number;
  toUs: number;
}

/** Now, on the clock V8's profiler stamps its samples with. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Summarises a `.cpuprofile` (what `node --cpu-prof` writes), counting only the samples inside
 * `windows` when given. Native calls (SQLite's fsync inside better-sqlite3, HMAC) are charged to the
 * JS function that made them, which is what tells where the time goes. Line numbers are left out
 * for TypeScript files: the profile sees tsx's output, not the source.
 */
export function summariseProfile(file: string, parts: ProfilePart[], windows?: Window[]): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const partOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)?.callFrame;
      const found = frame && parts.find((p) => p.functions.some((f) => f.name === frame.functionName && frame.url.endsWith(f.file)));
      if (found) return found.name;
    }
    return 'everything else';
  };
  const perFunction = new Map<string, number>();
  const perFile = new Map<string, number>();
  const perPart = new Map<string, number>([...parts.map((p): [string, number] => [p.name, 0]), ['everything else', 0]]);
  const add = (m: Map<string, number>, key: string, us: number) => m.set(key, (m.get(key) ?? 0) + us);
  let idleUs = 0;
  let busyUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    const frame = byId.get(id)?.callFrame;
    if (!frame || (windows && !windows.some((w) => at >= w.fromUs && at <= w.toUs))) return;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    busyUs += us;
    const where = shortUrl(frame.url);
    const line = where.endsWith('.ts') ? '' : `:${frame.lineNumber + 1}`;
    add(perFunction, `${frame.functionName || '(anonymous)'}${where ? ` ${where}${line}` : ''}`, us);
    add(perFile, where || frame.functionName || '(native)', us);
    add(perPart, partOf(id), us);
  });
  const row = ([name, us]: [string, number]): ProfileRow => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 });
  const rank = (m: Map<string, number>) => [...m.entries()].map(row).sort((x, y) => y.ms - x.ms);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: rank(perFunction),
    files: rank(perFile),
    parts: [...perPart.entries()].map(row),
  };
}

/** `file:///…/node_modules/pino/lib/x.js` → `pino/lib/x.js`; the project's own files relative to it. */
function shortUrl(url: string): string {
  if (!url) return '';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const root = process.cwd().replace(/\\/g, '/');
  const plain = url.replace(/^file:\/\//, '');
  return plain.startsWith(`${root}/`) ? plain.slice(root.length + 1) : plain;
}

/** What a bench target child reports of itself at a labelled moment. */
export interface Sample {
  label: string;
  rss: number;
  heapUsed: number;
  /** CPU time used so far (user + system), in µs. */
  cpuUs: number;
  /**
   * Time the event loop was not waiting for events so far, in ms: CPU work and blocking calls
   * alike (SQLite's fsync runs on the loop). What one thread can do in a second is bounded by it.
   */
  loopActiveMs: number;
}

type ToChild = { type: 'sample'; label: string } | { type: 'stop' };
type FromChild = { type: 'ready' } | ({ type: 'sample' } & Sample);

/** A server under load in its own process, so the load generator never shares its event loop. */
export interface ChildTarget {
  pid: number;
  /** Asks the child for its memory, CPU and event loop time now; `label` must be unique while waiting. */
  sample(label: string): Promise<Sample>;
  /** The child's samples, one every second while it runs. */
  ticks: Sample[];
  /** Lets the child close its server (and drain its work), and waits for it to exit. */
  stop(): Promise<void>;
  kill(): void;
}

/**
 * Gives the load generator (this process) and the target child a CPU each, when there are two or
 * more and `taskset` exists: otherwise the scheduler sometimes puts both on one core, and the same
 * target measures half as fast from one run to the next. Returns how the CPUs were split, or why not.
 */
export function pinCpus(): string {
  if (process.env.BENCH_PIN === 'off') return 'not pinned (BENCH_PIN=off)';
  if (os.cpus().length < 2) return 'not pinned: one CPU';
  pinTargets = taskset('0', process.pid);
  return pinTargets ? 'load generator on CPU 0, target on CPU 1' : 'not pinned: taskset is not available';
}

let pinTargets = false;

/**
 * After `pinCpus`, puts the processes `pids` (a database server the target uses, and its
 * children) on the target's CPU: the service and its database are the target, the load generator
 * keeps CPU 0 to itself. Processes they fork later inherit it.
 */
export function pinWithTargets(pids: number[]): void {
  if (!pinTargets) return;
  for (const pid of pids) taskset('1', pid);
}

/** `taskset -a -p -c cpus pid`: every thread of `pid`, including those it starts later. */
function taskset(cpus: string, pid: number): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
}

/**
 * Forks `entry` with `args` under tsx (plus `nodeFlags`, e.g. `--cpu-prof`) and waits until the
 * child's `serveInChild` says it listens. After `pinCpus`, the child runs on CPU 1.
 */
export function startChild(entry: string, args: string[], nodeFlags: string[] = []): Promise<ChildTarget> {
  const child = fork(entry, args, { execArgv: ['--require', 'tsx/cjs', ...nodeFlags], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (pinTargets && child.pid !== undefined) taskset('1', child.pid);
  const waiting = new Map<string, (m: Sample) => void>();
  const ticks: Sample[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`the target child exited with ${code} before it was ready`)));
    child.on('message', (raw) => {
      const m = raw as FromChild;
      if (m.type === 'ready') {
        resolve({
          pid: child.pid ?? -1,
          ticks,
          sample: (label) =>
            new Promise((done) => {
              waiting.set(label, done);
              child.send({ type: 'sample', label } satisfies ToChild);
            }),
          stop: async () => {
            child.send({ type: 'stop' } satisfies ToChild);
            const code = await exited;
            if (code !== 0) throw new Error(`the target child exited with ${code}`);
          },
          kill: () => {
            if (child.exitCode === null) child.kill();
          },
        });
        return;
      }
      if (m.label === 'tick') ticks.push({ ...m, label: `${ticks.length + 1} s` });
      waiting.get(m.label)?.(m);
      waiting.delete(m.label);
    });
  });
}

/**
 * The child's half of `startChild`: reports a `Sample` every second and on request, and on `stop`
 * runs `close` and exits (which is when `--cpu-prof` writes its profile).
 */
export function serveInChild(close: () => Promise<void>): void {
  const send = (m: FromChild) => process.send?.(m);
  const sample = (label: string) => {
    const { rss, heapUsed } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    send({ type: 'sample', label, rss, heapUsed, cpuUs: user + system, loopActiveMs: performance.eventLoopUtilization().active });
  };
  const ticker = setInterval(() => sample('tick'), 1_000);
  process.on('message', (raw) => {
    const m = raw as ToChild;
    if (m.type === 'sample') {
      sample(m.label);
      return;
    }
    clearInterval(ticker);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`bench target: could not close: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
  // The parent is gone (it failed): do not outlive it.
  process.on('disconnect', () => process.exit(1));
  send({ type: 'ready' });
}

/** The machine's CPU time counters (/proc/stat), to tell how much a hypervisor took during a run. */
export interface CpuTimes {
  total: number;
  steal: number;
}

export function cpuTimes(): CpuTimes | undefined {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal: guest time is already counted in user.
    return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/** The share of CPU time stolen by the hypervisor between two readings (NaN when unknown). */
export function stealShare(before: CpuTimes | undefined, after: CpuTimes | undefined): number {
  if (!before || !after || after.total === before.total) return NaN;
  return (after.steal - before.steal) / (after.total - before.total);
}

/** The `q` quantile (0..1) of `values`, nearest rank. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export const median = (values: number[]): number => quantile(values, 0.5);

/**
 * In a child: the floor every webhook bench compares with. A bare `node:http` server that reads the
 * body and answers 200 with the intake's own answer, and nothing else.
 */
export async function serveBareInChild(port: number): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('{"status":"stored"}'));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  serveInChild(() => new Promise((resolve) => server.close(() => resolve())));
}

/** One round of load: answered POSTs a second, each answered one's time, and what was not answered 2xx. */
export interface LoadRound {
  rps: number;
  latencies: number[];
  non2xx: number;
}

/**
 * Signed webhook POSTs (`nextBody()`, signed with the bench's app secret) from autocannon at
 * `connections` connections for `seconds`, each sending its next as soon as the last is answered.
 * Latencies are autocannon's per-response times, which its own summary rounds to whole ms.
 */
export function webhookRound(url: string, connections: number, seconds: number, nextBody: () => string): Promise<LoadRound> {
  const latencies: number[] = [];
  const request: autocannon.Request = {
    method: 'POST',
    path: WEBHOOK_PATH,
    setupRequest: (req) => {
      const body = nextBody();
      const signature = signPayload(BENCH_SECRETS.WHATSAPP_APP_SECRET, body);
      return { ...req, body, headers: { ...req.headers, 'content-type': 'application/json', 'x-hub-signature-256': signature } };
    },
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, requests: [request] }, (error: unknown, result) => {
      if (error) reject(error instanceof Error ? error : new Error(`autocannon failed: ${JSON.stringify(error)}`));
      else resolve({ rps: result['2xx'] / result.duration, latencies, non2xx: result.non2xx + result.errors + result.timeouts });
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status <= 299) latencies.push(ms);
    });
  });
}
