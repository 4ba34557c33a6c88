import type { RequestHandler } from 'express';
import { secretsEqual } from './constant-time';
import { UnauthorizedError } from './errors';

/** Lets a request through only with `Authorization: Bearer <adminToken>`. */
export function requireAdminToken(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
    if (!match?.[1] || !secretsEqual(match[1], adminToken)) {
      next(new UnauthorizedError());
      return;
    }
    next();
  };
}
