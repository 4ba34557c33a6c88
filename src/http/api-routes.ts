import { Router } from 'express';
import type { Store } from '../store/store';
import { requireAdminToken } from './admin-auth';
import { BadRequestError } from './errors';

/** `/api/*`: the admin's view, behind the bearer token. */
export function apiRoutes(deps: { store: Store; adminToken: string }): Router {
  const router = Router();
  router.use(requireAdminToken(deps.adminToken));
  router.get('/codes', async (req, res) => {
    const raw = req.query.limit;
    const limit = raw === undefined ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new BadRequestError('limit must be a whole number from 1 to 500');
    }
    res.set('Cache-Control', 'no-store').json({ codes: await deps.store.listCodes(limit) });
  });
  return router;
}
