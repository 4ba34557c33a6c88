/**
 * The container's HEALTHCHECK (see Dockerfile): exits 0 when the service in this container answers
 * `GET /healthz` with 200 within 4 s, and 1 otherwise, saying why on stderr. A program of its own
 * because the runtime image has neither curl nor wget, and a one-liner in the Dockerfile would go
 * untested. It reads only PORT and HOST, as the service does, to knock where the service listens.
 */
const TIMEOUT_MS = 4_000;

function healthUrl(env: NodeJS.ProcessEnv): string {
  const port = env.PORT?.trim() || '3000';
  const host = env.HOST?.trim() || '127.0.0.1';
  // A service bound to every address answers on loopback.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}/healthz`;
}

async function check(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
}

const url = healthUrl(process.env);
check(url).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`unhealthy: ${url}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
