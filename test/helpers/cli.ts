import type { Env } from '../../src/config';
import { runCli } from '../../src/cli/program';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, for runs with --json. */
  json<T = Record<string, unknown>>(): T;
}

/** Runs `wa-onboard <argv>` in-process with `env`, as a pipe would (no terminal: no colour, no live progress). */
export async function runCommand(argv: string[], env: Env, options: { tty?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty },
    pollMs: 25,
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}
