import { Router, type Request } from 'express';
import type { OperatorPage } from '../page/operator-page';
import type { CallStore } from '../store/call-store';
import type { WebhookStore } from '../store/webhook-store';
import type { RedeliveryDeps } from '../whatsapp/redelivery';
import { requireAdmin } from './admin-auth';
import { deadLetterRoutes } from './dead-letter-routes';
import { readWebhookOverview } from '../whatsapp/overview';
import { targetName } from '../whatsapp/target-name';
import { BadRequestError } from './errors';

export interface ApiDeps {
  calls: CallStore;
  webhooks: WebhookStore;
  /** The forwarding targets, for the backlog of each. */
  forwardTargets: string[];
  adminToken: string;
  /** Dead letters, replay and backfill (`/api/dead-letters`, `/api/forwards/backfill`). */
  redelivery: RedeliveryDeps;
  /** The service's public URL: a POST from a page of another origin is refused. */
  plan: { publicUrl: string };
  /** The operator page: its session cookie is accepted here, and its event stream lives here. */
  page: Pick<OperatorPage, 'isSignedIn' | 'wrongToken' | 'live'>;
}

/**
 * `/api/*`: the admin's view, behind the bearer token or the operator page's session. Never
 * cached: it holds codes and messages.
 */
export function apiRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAdmin({ adminToken: deps.adminToken, isSignedIn: deps.page.isSignedIn, wrongToken: deps.page.wrongToken }));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.get('/codes', async (req, res) => {
    res.json({ codes: await deps.calls.listCodes(limitOf(req)) });
  });
  router.get('/webhook', async (_req, res) => {
    const overview = await readWebhookOverview(deps.webhooks, deps.forwardTargets, 20);
    // Named as the page, the metrics and the logs name them: a path or query may be a secret.
    res.json({ ...overview, forwarding: overview.forwarding.map((t) => ({ ...t, target: targetName(t.target) })) });
  });
  router.get('/live', deps.page.live);
  router.use(deadLetterRoutes({ redelivery: deps.redelivery, publicUrl: deps.plan.publicUrl }));
  router.get('/events', async (req, res) => {
    res.json({ events: await deps.webhooks.latestEvents(limitOf(req)) });
  });
  return router;
}

function limitOf(req: Request): number {
  const raw = req.query.limit;
  const limit = raw === undefined ? 50 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new BadRequestError('limit must be a whole number from 1 to 500');
  }
  return limit;
}
