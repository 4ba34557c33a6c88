import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type RequestHandler, type Response } from 'express';
import { secretsEqual } from '../http/constant-time';
import { ForbiddenError } from '../http/errors';
import type { Logger } from '../observability/logger';
import type { AdminSessions } from './admin-sessions';
import { clientKey, TooManyLoginsError, type LoginThrottle } from './login-throttle';
import { renderLogin } from './render-page';

export interface PageRoutesDeps {
  adminToken: string;
  sessions: AdminSessions;
  throttle: LoginThrottle;
  /** The whole dashboard document, rendered from the stores now. */
  dashboard: () => Promise<string>;
  logger: Logger;
  /** Local mode: the sign-in page says where the generated token is kept. */
  local: boolean;
  /** What the browser's `Origin` may be, besides the host it reached. */
  publicUrl: string;
  /** A session ended: its open event streams are closed. */
  onSignOut: () => void;
}

/** A sign-in form holds one token: a small limit keeps large bodies out before they are read. */
export const LOGIN_FORM_LIMIT_BYTES = 4 * 1024;

/** assets/ at the top of the package: two folders up from both src/page and dist/page. */
const ASSETS_DIR = path.join(__dirname, '..', '..', 'assets');
const ASSET_TYPES: Record<string, string> = {
  'operator-page.css': 'text/css',
  'operator-page.js': 'text/javascript',
  'favicon.svg': 'image/svg+xml',
};

/** `GET /`, sign-in and sign-out, and the page's static files (stylesheet, script, icon). */
export function pageRoutes(deps: PageRoutesDeps): Router {
  const router = Router();
  const login = (error?: string) => renderLogin({ error, local: deps.local });
  const sameSite = refuseCrossSite(deps.publicUrl);
  // The page shows codes: never kept by a browser's or a proxy's cache.
  const page = (res: Response, status: number, body: string) => {
    res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
  };

  router.get('/', async (req, res) => {
    if (await deps.sessions.isSignedIn(req)) page(res, 200, await deps.dashboard());
    else page(res, 200, login());
  });

  router.post('/login', sameSite, express.urlencoded({ extended: false, limit: LOGIN_FORM_LIMIT_BYTES }), async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    const token = typeof body?.token === 'string' ? body.token.trim() : '';
    const client = clientKey(req.socket.remoteAddress);
    // The right token is checked first, so no one's failed guesses ever hold it up.
    if (token === '' || !secretsEqual(token, deps.adminToken)) {
      deps.logger.warn({ client }, 'operator page: refused a sign-in with a wrong token');
      try {
        await deps.throttle.failed(client);
      } catch (error) {
        if (!(error instanceof TooManyLoginsError)) throw error;
        page(res, 429, login('Too many failed sign-ins at once. Wait a minute and try again.'));
        return;
      }
      page(res, 401, login('That is not the admin token.'));
      return;
    }
    deps.throttle.succeeded(client);
    await deps.sessions.open(res);
    deps.logger.info({ client }, 'operator page: signed in');
    // Relative, like every link of the page: it works behind a proxy that serves it under a path.
    res.redirect(303, './');
  });

  router.post('/logout', sameSite, async (req, res) => {
    await deps.sessions.close(req, res);
    deps.onSignOut();
    res.redirect(303, './');
  });

  for (const [file, type] of Object.entries(ASSET_TYPES)) {
    const body = fs.readFileSync(path.join(ASSETS_DIR, file));
    router.get(`/assets/${file}`, (_req, res) => {
      // Revalidated each time (Express sends an ETag): a new release's script is never mixed with an old page.
      res.set('Cache-Control', 'no-cache').type(type).send(body);
    });
  }
  return router;
}

/**
 * A form posted from another site is refused: SameSite=Strict already keeps our cookie off it, and
 * this keeps another site from signing a browser in (or out) behind the operator's back. Current
 * browsers send `Sec-Fetch-Site`; older ones only `Origin`, which must then be the service's own,
 * as Twilio sees it (PUBLIC_URL) or as the browser reached it (Host). A client that sends neither
 * (curl) is not a browser acting for someone else.
 */
export function refuseCrossSite(publicUrl: string, refusal = 'sign in from the page itself'): RequestHandler {
  const publicOrigin = new URL(publicUrl).origin;
  return (req, _res, next) => {
    const site = req.header('sec-fetch-site');
    const origin = req.header('origin');
    const foreignOrigin =
      origin !== undefined && origin !== publicOrigin && origin.replace(/^https?:\/\//, '') !== req.header('host');
    if (site === 'cross-site' || site === 'same-site' || (site === undefined && foreignOrigin)) {
      next(new ForbiddenError(refusal));
    } else next();
  };
}
