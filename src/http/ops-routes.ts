import { Router } from 'express';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { guardMetrics, type MetricsAccess } from './metrics-access';

/**
 * Liveness and readiness, open to all and holding no secret; Prometheus metrics, guarded by
 * `metricsAccess` (see metrics-access.ts).
 */
export function opsRoutes(deps: { ping: () => Promise<void>; metrics: Metrics; metricsAccess: MetricsAccess; logger: Logger }): Router {
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
  router.get('/metrics', guardMetrics(deps.metricsAccess), async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
