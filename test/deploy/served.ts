import { spawn } from 'node:child_process';

/** A service started as a deployment starts it, listening on a port the system chose. */
export interface Served {
  url: string;
  /** Every line it wrote, stdout and stderr. */
  output: string[];
  /** Sends SIGTERM (what `docker stop` and a platform's deploy send) and resolves with the exit code. */
  terminate(): Promise<number | null>;
}

/**
 * Runs `argv` in `cwd` with exactly `env` (PORT=0: the system picks a free port, so no two runs
 * fight over one) and waits for the start-up log line that says where it listens.
 */
export async function serve(argv: string[], options: { cwd: string; env: NodeJS.ProcessEnv; readyTimeoutMs?: number }): Promise<Served> {
  const [program = '', ...args] = argv;
  const child = spawn(program, args, { cwd: options.cwd, env: { ...options.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          output.push(line);
          const listening = listeningUrl(line);
          if (listening) resolve(listening);
        }
      });
    }
    void exited.then((code) => reject(new Error(`${argv.join(' ')} exited ${code} before listening:\n${output.join('\n')}`)));
  });
  const timeout = new Promise<never>((_resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not listen:\n${output.join('\n')}`)), options.readyTimeoutMs ?? 60_000);
    void exited.finally(() => clearTimeout(timer));
    void url.then(() => clearTimeout(timer), () => clearTimeout(timer));
  });
  try {
    return {
      url: await Promise.race([url, timeout]),
      output,
      terminate: async () => {
        child.kill('SIGTERM');
        return exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** The `url` of the service's "listening" log line (pino JSON), if `line` is it. */
function listeningUrl(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return typeof parsed.msg === 'string' && parsed.msg.startsWith('listening') && typeof parsed.url === 'string' ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}
