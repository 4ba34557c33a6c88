import { DatabaseError } from 'pg';
import { maskedDatabaseUrl } from '../../config';

/** Socket codes of TLS failures (Node's own, and OpenSSL's certificate checks). */
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|EPROTO$|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|CERT_)/;

/**
 * PostgreSQL could not be reached or refused us at start. It names DATABASE_URL (its password
 * masked) and what failed, in words an operator acts on. The exit code tells an orchestrator whether
 * waiting may help: 69 (EX_UNAVAILABLE) when the server did not answer, 78 (EX_CONFIG) when it
 * answered no.
 */
export class DatabaseUnavailableError extends Error {
  readonly setting = 'DATABASE_URL';
  readonly exitCode: 69 | 78;

  constructor(url: string, readonly reason: string, exitCode: 69 | 78, cause: unknown) {
    super(`cannot use the database at DATABASE_URL=${maskedDatabaseUrl(url)}: ${reason}`, { cause });
    this.name = 'DatabaseUnavailableError';
    this.exitCode = exitCode;
  }
}

/** Says what failed when the first connection did: refused, unknown host, no answer, authentication, unknown database, TLS. */
export function describeConnectFailure(url: string, error: unknown): DatabaseUnavailableError {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const rawCode = (cause as { code?: unknown })?.code;
  const code = typeof rawCode === 'string' ? rawCode : '';
  const driverSays = cause instanceof Error ? cause.message : String(cause);
  const fail = (reason: string, exitCode: 69 | 78) => new DatabaseUnavailableError(url, `${reason} (${driverSays})`, exitCode, error);
  if (cause instanceof DatabaseError) {
    if (code === '28P01') return fail('authentication failed: check the user name and password in the URL', 78);
    if (code === '28000') return fail('the server refused this user (no such role, or pg_hba.conf does not allow it from here)', 78);
    if (code === '3D000') return fail('the database does not exist: create it (createdb), or fix its name in the URL', 78);
    if (code.startsWith('57P') || code === '53300') return fail('the server is starting, stopping or full of connections: try again shortly', 69);
    return fail(`the server refused the connection (${code})`, 78);
  }
  if (code === 'ECONNREFUSED') return fail('connection refused: is PostgreSQL running and listening on that host and port?', 69);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return fail('the host name does not resolve', 69);
  if (TLS_CODES.test(code)) return fail("TLS failed: the server's certificate is not trusted, or its name does not match (see sslmode)", 78);
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return fail('no answer: a firewall, or the wrong host?', 69);
  if (wantsTls(url)) return fail('TLS failed: the server does not speak TLS, or broke the handshake (see sslmode)', 78);
  return fail('no usable connection (timed out or closed during start-up)', 69);
}

function wantsTls(url: string): boolean {
  try {
    const mode = new URL(url).searchParams.get('sslmode');
    return mode !== null && mode !== 'disable' && mode !== 'allow' && mode !== 'prefer';
  } catch {
    return false;
  }
}
