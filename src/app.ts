import express, { type Express } from 'express';
import type { Clock } from './delivery/ports';
import { apiRoutes } from './http/api-routes';
import type { BodyBudget } from './http/body-budget';
import { countFormBody } from './http/count-form-body';
import { errorHandler } from './http/error-handler';
import type { MetricsAccess } from './http/metrics-access';
import { opsRoutes } from './http/ops-routes';
import { requestLog } from './http/request-log';
import { securityHeaders } from './http/security-headers';
import type { Logger } from './observability/logger';
import type { Metrics } from './observability/metrics';
import type { OperatorPage } from './page/operator-page';
import { LOGIN_FORM_LIMIT_BYTES } from './page/page-routes';
import type { CallStore, Recipient } from './store/call-store';
import type { WebhookStore } from './store/webhook-store';
import { CallFlow } from './voice/call-flow';
import type { CodeSpool } from './voice/code-spool';
import type { ForwardingRules } from './voice/forward-budget';
import { TWILIO_FORM_LIMIT_BYTES, voiceRoutes } from './voice/routes';
import { sorryTwiml, type CallPlan } from './voice/twiml';
import type { NodeHandler } from './whatsapp/intake';
import type { RedeliveryDeps } from './whatsapp/redelivery';
import { WEBHOOK_PATH, whatsappRoutes } from './whatsapp/routes';

/** Everything the HTTP app needs, handed in: it never reads the environment and never listens. */
export interface AppDeps {
  calls: CallStore;
  /** Rejects when the database does not answer (readiness). */
  ping: () => Promise<void>;
  logger: Logger;
  metrics: Metrics;
  /** Who may read `/metrics` (METRICS_TOKEN, METRICS_PUBLIC). */
  metricsAccess: MetricsAccess;
  clock: Clock;
  adminToken: string;
  twilio: { authToken: string; verifySignatures: boolean };
  plan: CallPlan;
  recipients: Recipient[];
  /** Wakes the delivery worker when deliveries were stored. */
  onDeliveriesStored: () => void;
  /** Keeps a code the store could not take, to deliver it from disk (see voice/code-spool.ts). */
  spool: CodeSpool;
  /** A code went to the spool: its worker delivers it now. */
  onSpooled: () => void;
  /** How long a call without a code waits for its transcript before the team gets the recording. */
  missedCallDeadlineMs: number;
  /** CALL_FORWARD_LIMIT and CALLERS_ALLOWED: which calls reach the recipients. */
  callForwarding: ForwardingRules;
  webhooks: WebhookStore;
  /** Dead letters, replay and backfill, behind `/api`. */
  redelivery: RedeliveryDeps;
  whatsapp: {
    verifyToken: string;
    /** Verifies, stores and acknowledges an event POST (see whatsapp/intake.ts). */
    intake: NodeHandler;
  };
  /** Where events are forwarded, for the admin's view of each backlog. */
  forwardTargets: string[];
  /** Bounds the bytes held by bodies read before they are authenticated, shared with the webhook's intake. */
  bodies: BodyBudget;
  /** The operator's page at `/`, and its live updates at `/api/live`. */
  page: OperatorPage;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Twilio's signature is checked against PUBLIC_URL, so nothing here needs the proxy's headers.
  app.set('trust proxy', false);
  app.use(requestLog(deps.logger));
  app.use(securityHeaders({ https: deps.plan.publicUrl.startsWith('https://') }));

  const flow = new CallFlow({
    store: deps.calls,
    spool: deps.spool,
    onSpooled: deps.onSpooled,
    clock: deps.clock,
    logger: deps.logger,
    metrics: deps.metrics,
    plan: deps.plan,
    recipients: deps.recipients,
    onDeliveriesStored: deps.onDeliveriesStored,
    missedCallDeadlineMs: deps.missedCallDeadlineMs,
    forwarding: deps.callForwarding,
  });
  app.use(opsRoutes(deps));
  // Forms read before the token or the signature is checked count among the unverified bodies.
  app.post(
    '/login',
    countFormBody({
      budget: deps.bodies,
      limitBytes: LOGIN_FORM_LIMIT_BYTES,
      refusal: { contentType: 'text/plain; charset=utf-8', body: 'busy: try again in a few seconds' },
      onRefused: () => deps.metrics.bodyRefused('login'),
    }),
  );
  app.use(deps.page.routes);
  app.use(
    '/twilio',
    countFormBody({
      budget: deps.bodies,
      limitBytes: TWILIO_FORM_LIMIT_BYTES,
      refusal: { contentType: 'text/xml', body: sorryTwiml() },
      onRefused: () => deps.metrics.bodyRefused('twilio'),
    }),
    voiceRoutes({
      flow,
      maxListens: deps.plan.maxListens,
      logger: deps.logger,
      signature: {
        authToken: deps.twilio.authToken,
        publicUrl: deps.plan.publicUrl,
        enabled: deps.twilio.verifySignatures,
        logger: deps.logger,
      },
    }),
  );
  app.use(
    WEBHOOK_PATH,
    whatsappRoutes({
      verifyToken: deps.whatsapp.verifyToken,
      intake: deps.whatsapp.intake,
      webhooks: deps.webhooks,
      clock: deps.clock,
      logger: deps.logger,
    }),
  );
  app.use('/api', apiRoutes(deps));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such route' });
  });
  app.use(errorHandler(deps.logger));
  return app;
}
