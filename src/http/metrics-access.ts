import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { secretsEqual } from './constant-time';
import { ForbiddenError, UnauthorizedError } from './errors';

/** Who may read `/metrics`. */
export interface MetricsAccess {
  /** METRICS_TOKEN: when set, every scrape must send `Authorization: Bearer <token>`, from anywhere. */
  token: string | null;
  /**
   * Without a token, whether only this machine may scrape (production, unless METRICS_PUBLIC=on):
   * the counters tell a stranger how much traffic the number gets and when forwarding fails.
   */
  loopbackOnly: boolean;
}

export const METRICS_FORBIDDEN =
  '/metrics answers only this machine in production: set METRICS_TOKEN and have Prometheus send Authorization: Bearer <METRICS_TOKEN>, or set METRICS_PUBLIC=on to let anyone read it';

/**
 * Guards `/metrics` as `access` says. The client is the socket's peer, never X-Forwarded-For: a
 * header anyone can write, and behind a proxy on this machine every visitor is loopback anyway, so
 * a proxied deployment needs the token (as the README says).
 */
export function guardMetrics(access: MetricsAccess): RequestHandler {
  return (req, res, next) => {
    if (access.token !== null) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
      if (match?.[1] && secretsEqual(match[1], access.token)) return next();
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      return next(new UnauthorizedError('send Authorization: Bearer <METRICS_TOKEN>'));
    }
    if (access.loopbackOnly && !isLoopbackAddress(req.socket.remoteAddress)) return next(new ForbiddenError(METRICS_FORBIDDEN));
    next();
  };
}

/** Whether a socket's peer address is this machine: 127.0.0.0/8 (IPv4-mapped too) or `::1`. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  switch (isIP(plain)) {
    case 4:
      return plain.split('.')[0] === '127';
    case 6:
      return /^(0{0,4}:){2,7}0{0,3}1$/.test(plain); // ::1, however spelled
    default:
      return false;
  }
}
