import type { Request, RequestHandler } from 'express';
import { secretsEqual } from './constant-time';
import { UnauthorizedError } from './errors';

export interface AdminAuthOptions {
  adminToken: string;
  /** True when the request carries the operator page's session cookie. */
  isSignedIn: (req: Request) => Promise<boolean>;
  /**
   * Called for a wrong bearer token before the 401: it waits like a failed sign-in, so the token
   * cannot be guessed here faster than on the page; a rejection is answered instead of the 401.
   */
  wrongToken: (req: Request) => Promise<void>;
}

/**
 * Lets a request through with `Authorization: Bearer <adminToken>` (scripts and the command), or
 * with the operator page's session cookie (the page's own requests). A bearer header that is
 * present and wrong is refused even with a session: whoever sent it meant the token.
 */
export function requireAdmin(options: AdminAuthOptions): RequestHandler {
  return async (req, _res, next) => {
    const header = req.header('authorization');
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match?.[1] && secretsEqual(match[1], options.adminToken)) {
        next();
        return;
      }
      await options.wrongToken(req);
      next(new UnauthorizedError());
      return;
    }
    next((await options.isSignedIn(req)) ? undefined : new UnauthorizedError());
  };
}
