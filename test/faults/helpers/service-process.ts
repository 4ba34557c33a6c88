import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');

/** How a child process ended: its exit code, or the signal that ended it. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The service as a deployment runs it: `src/main.ts` in its own process, configured by its environment. */
export interface ServiceProcess {
  pid: number;
  /** Where it listens, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every line it wrote to stdout and stderr (pino's JSON lines), for the books and for a failure's story. */
  output: string[];
  /** Resolves when the process has ended, however it ended. */
  exited: Promise<Exit>;
  /** Sends `signal` (SIGKILL: a crash, a power cut as far as the process knows; SIGTERM: a deploy). */
  kill(signal: NodeJS.Signals): void;
  /** The log lines whose `msg` contains `text`. */
  logged(text: string): string[];
}

export interface StartOptions {
  env: Record<string, string>;
  port: number;
  /** How long it may take to answer `/healthz` (tsx compiles on start). */
  readyTimeoutMs?: number;
}

/**
 * Starts the service exactly as `npm start` would, but from the TypeScript source (through tsx, so
 * the test runs what is in the tree, not a stale build), and waits until it answers `/healthz`.
 * Nothing but PATH is inherited: the environment is what the test says.
 */
export async function startServiceProcess(options: StartOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  collectLines(child, output);
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilHealthy(url, exited, output, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL'); // a child left running would keep jest from ever exiting
    throw error;
  }
  return {
    pid: child.pid ?? 0,
    url,
    output,
    exited,
    kill: (signal) => {
      child.kill(signal);
    },
    logged: (text) => output.filter((line) => messageOf(line).includes(text)),
  };
}

function collectLines(child: ChildProcess, into: string[]): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      into.push(...lines.filter((line) => line !== ''));
    });
  }
}

function messageOf(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === 'string' ? parsed.msg : line;
  } catch {
    return line;
  }
}

async function waitUntilHealthy(url: string, exited: Promise<Exit>, output: string[], timeoutMs: number): Promise<void> {
  let ended: Exit | undefined;
  void exited.then((exit) => (ended = exit));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ended) throw new Error(`the service exited before it was ready (${JSON.stringify(ended)}):\n${output.join('\n')}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the service did not answer /healthz within ${timeoutMs} ms:\n${output.join('\n')}`);
}

/** Sends SIGKILL and waits for the process to be gone. */
export async function crash(service: ServiceProcess): Promise<Exit> {
  service.kill('SIGKILL');
  return service.exited;
}
