import { Router, type Request } from 'express';
import type { Clock } from '../delivery/ports';
import { secretsEqual } from '../http/constant-time';
import { BadRequestError, ForbiddenError } from '../http/errors';
import type { Logger } from '../observability/logger';
import type { WebhookStore } from '../store/webhook-store';
import type { NodeHandler } from './intake';
import { isRehearsal, REHEARSAL_HEADER } from './rehearsal-mark';

/** Where Meta's webhook is served: the Express route and the server's fast path share it. */
export const WEBHOOK_PATH = '/webhooks/whatsapp';

export interface WhatsAppRoutesDeps {
  verifyToken: string;
  /** The POST handler; framework-free, so the server can also reach it without Express. */
  intake: NodeHandler;
  webhooks: WebhookStore;
  clock: Clock;
  logger: Logger;
}

/** `/webhooks/whatsapp`: Meta's subscription check (GET) and its signed events (POST). */
export function whatsappRoutes(deps: WhatsAppRoutesDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const challenge = subscriptionCheck(req, deps.verifyToken);
    // `wa-onboard doctor` marks its check with the verify token, on this challenge: it is recorded
    // as a rehearsal, never as Meta's verification. Read only once the token was right.
    const rehearsal = isRehearsal(req.header(REHEARSAL_HEADER), challenge, [deps.verifyToken]);
    try {
      await deps.webhooks.recordVerification(deps.clock.now(), { rehearsal });
    } catch (error) {
      // The check itself succeeded: Meta gets its answer, the operator gets the log line.
      deps.logger.error({ err: error }, 'could not record the webhook verification time');
    }
    deps.logger.info(rehearsal ? 'a rehearsal (wa-onboard doctor) checked the webhook callback URL: verified' : 'Meta checked the webhook callback URL: verified');
    // Byte for byte: anything else and Meta leaves the URL unverified.
    res.status(200).type('text/plain').send(challenge);
  });
  // No body parser on this route: the intake reads and verifies the raw bytes itself.
  router.post('/', (req, res) => deps.intake(req, res));
  return router;
}

/** The challenge to echo, once `hub.mode` and `hub.verify_token` (compared in constant time) are right. */
function subscriptionCheck(req: Request, verifyToken: string): string {
  const mode = single(req.query['hub.mode']);
  const token = single(req.query['hub.verify_token']);
  const challenge = single(req.query['hub.challenge']);
  if (mode === undefined || token === undefined || challenge === undefined) {
    throw new BadRequestError('send hub.mode, hub.verify_token and hub.challenge once each, as Meta does when it checks the URL');
  }
  if (mode !== 'subscribe') throw new BadRequestError('hub.mode must be "subscribe"');
  if (!secretsEqual(token, verifyToken)) {
    throw new ForbiddenError("hub.verify_token does not match WHATSAPP_VERIFY_TOKEN: enter the same token in Meta's webhook settings");
  }
  return challenge;
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
