import express, { Router, type RequestHandler } from 'express';
import { UnauthorizedError } from '../http/errors';
import { refuseCrossSite } from './page-routes';

export interface ReplayRouteDeps {
  isSignedIn: (req: express.Request) => Promise<boolean>;
  /** Queues a configured target's dead letters again (a 400 error for any other target). */
  replay: (target: string) => Promise<{ queued: number }>;
  /** What the browser's `Origin` may be, besides the host it reached. */
  publicUrl: string;
}

/** A replay form holds one target's name: a small limit keeps large bodies out. */
const REPLAY_FORM_LIMIT = '4kb';

/**
 * `POST /replay`: the Forwarding step's **Replay** button, a form posting one target's name. Like
 * sign-out: refused from another site (the session cookie is SameSite=Strict besides), and only for
 * a signed-in operator, checked before the body is read. The page's script posts it and asks for
 * JSON, and the live stream then shows the list emptied; without the script the browser follows
 * the 303 back to the page.
 */
export function replayRoute(deps: ReplayRouteDeps): Router {
  const router = Router();
  const signedIn: RequestHandler = (req, _res, next) => {
    deps.isSignedIn(req).then(
      (yes) => next(yes ? undefined : new UnauthorizedError('sign in on the page first')),
      (error: unknown) => next(error),
    );
  };
  router.post(
    '/replay',
    refuseCrossSite(deps.publicUrl, 'replay from the page itself'),
    signedIn,
    express.urlencoded({ extended: false, limit: REPLAY_FORM_LIMIT }),
    async (req, res) => {
      const body = req.body as Record<string, unknown> | undefined;
      const target = typeof body?.target === 'string' ? body.target : '';
      const { queued } = await deps.replay(target);
      if (req.accepts(['html', 'json']) === 'json') res.set('Cache-Control', 'no-store').json({ queued });
      else res.redirect(303, './');
    },
  );
  return router;
}
