import { Router } from 'express';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';

/** Liveness, readiness and Prometheus metrics: unauthenticated, and holding no secret. */
export function opsRoutes(deps: { ping: () => Promise<void>; metrics: Metrics; logger: Logger }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await deps.ping();
      res.json({ status: 'ready' });
    } catch (error) {
      deps.logger.error({ err: error }, 'readiness check: the store does not answer');
      res.status(503).json({ status: 'unavailable', reason: 'the store does not answer' });
    }
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
