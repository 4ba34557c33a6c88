import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** `node` running `src/main.ts` through tsx: what `npm start` runs, from the tree as it is. */
export const MAIN_COMMAND: readonly string[] = [process.execPath, '--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'main.ts')];

export interface MainProcess {
  pid: number;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr, as they came. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

export interface MainOptions {
  /** Only these variables (and PATH) are set: nothing of the test's own environment leaks in. */
  env: Record<string, string>;
  cwd: string;
  /** Runs the command inside another (`prlimit ...`, `sh -c 'umask 000; exec "$@"'`, `script ...`). */
  wrap?: (command: readonly string[]) => string[];
  /** Run as this user (and its group): a test run as root sees what another user would. */
  user?: { uid: number; gid: number };
}

/** Starts the service in its own process, as a deployment would. */
export function startMain(options: MainOptions): MainProcess {
  const [file, ...args] = options.wrap ? options.wrap(MAIN_COMMAND) : [...MAIN_COMMAND];
  const child = spawn(file ?? '', args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ?? {}),
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    pid: child.pid ?? 0,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Waits for `check` to hold, polling; throws with `what` when it has not within the timeout. */
export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Quotes `argv` for `sh -c`. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
}
