import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../delivery/ports';
import { answerUnread } from '../http/answer-unread';
import type { BodyBudget } from '../http/body-budget';
import { BodiesBusyError, PayloadTooLargeError, readBody } from '../http/read-body';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { InboxRecord, SignedWith } from '../store/webhook-store';
import { isRehearsal, REHEARSAL_HEADER } from './rehearsal-mark';
import { signatureFormProblem, verifySignature } from './verify-signature';

/** Meta sends bodies of up to 3 MB: https://developers.facebook.com/docs/graph-api/webhooks/getting-started */
export const MAX_WEBHOOK_BYTES = 3 * 1024 * 1024;

/** What a 503 suggests to a caller that reads Retry-After; Meta follows its own schedule anyway. */
const RETRY_AFTER_S = '5';

export interface IntakeDeps {
  /** The current app secret first, then the previous one during a rotation. */
  appSecrets: string[];
  verifySignatures: boolean;
  /** Stores a POST durably; resolves when it is on disk. */
  store: (record: InboxRecord) => Promise<void>;
  /** A POST was stored: dispatch can begin. */
  onStored: () => void;
  /** Bounds the bytes held by bodies not yet verified, shared with the other routes that read such bodies. */
  bodies: BodyBudget;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `POST /webhooks/whatsapp`, framework-free: read the raw bytes, verify them, store them, and only
 * then answer 200. Dispatch happens later, from the store, so a crash after the answer loses
 * nothing. 401 for a bad signature (nothing stored), 413 past 3 MB, 503 when the store fails or
 * too many bytes of unverified bodies are held at once (Meta retries); everything authentic is 200,
 * even a body we cannot read.
 */
export function webhookIntake(deps: IntakeDeps): NodeHandler {
  return (req, res) => {
    void receive(req, res).catch((error: unknown) => {
      deps.logger.error({ err: error }, 'webhook intake failed');
      if (!res.headersSent) reply(res, 500, 'internal_error', 'internal error');
    });
  };

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signature = header(req, 'x-hub-signature-256');
    const formProblem = deps.verifySignatures ? signatureFormProblem(signature) : null;
    if (formProblem) {
      refuse(req, res, formProblem, { unreadBody: true });
      return;
    }
    const body = await readOrRefuse(req, res);
    if (!body) return;
    let signedWith: SignedWith = 'unchecked';
    if (deps.verifySignatures) {
      const check = verifySignature(signature, body, deps.appSecrets);
      if (!check.ok) {
        refuse(req, res, check.reason, { unreadBody: false });
        return;
      }
      signedWith = check.secretIndex === 0 ? 'current' : 'previous';
    }
    // Read only once the signature passed: the mark marks an authentic POST as ours, and never
    // stands in for the check (with checks off, local only, it still takes the app secret to make).
    const rehearsal = isRehearsal(header(req, REHEARSAL_HEADER), body, deps.appSecrets);
    try {
      await deps.store({
        receivedAt: deps.clock.now(),
        body,
        contentType: header(req, 'content-type') ?? null,
        signature: signature ?? null,
        signedWith,
        rehearsal,
      });
    } catch (error) {
      // Not stored, so not acknowledged: Meta will deliver it again.
      deps.metrics.webhookReceived('error');
      deps.logger.error({ err: error }, 'could not store a webhook POST; answering 503 so Meta retries');
      res.setHeader('retry-after', RETRY_AFTER_S);
      reply(res, 503, 'store_unavailable', 'the event could not be stored; deliver it again');
      return;
    }
    // A rehearsal is not Meta's traffic: the metrics count Meta's POSTs alone.
    if (rehearsal) deps.logger.info('stored a rehearsal POST (wa-onboard doctor or simulate webhook)');
    else deps.metrics.webhookReceived('stored');
    reply(res, 200, 'stored', 'stored');
    deps.onStored();
  }

  /** The body whole, or null once the request was answered (413, 503) or its client went away. */
  async function readOrRefuse(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
    try {
      return await readBody(req, MAX_WEBHOOK_BYTES, deps.bodies);
    } catch (error) {
      if (error instanceof BodiesBusyError) {
        deps.metrics.bodyRefused('webhook');
        deps.logger.warn({ limitBytes: deps.bodies.limitBytes }, 'refused a webhook POST: too many bytes of unverified bodies held at once (UNVERIFIED_BODIES_MIB)');
        const answer = answerOf(503, error.code, error.message);
        answerUnread(req, res, { ...answer, headers: { ...answer.headers, 'retry-after': RETRY_AFTER_S } });
      } else if (error instanceof PayloadTooLargeError) {
        deps.metrics.webhookReceived('too_large');
        deps.logger.warn({ limit: MAX_WEBHOOK_BYTES }, 'refused a webhook POST over the size limit');
        answerUnread(req, res, answerOf(413, error.code, error.message));
      }
      // Anything else: the client is gone, and there is no one to answer.
      return null;
    }
  }

  /** 401, nothing stored. A body left unread is thrown away as it arrives, then the connection closes. */
  function refuse(req: IncomingMessage, res: ServerResponse, reason: string, options: { unreadBody: boolean }): void {
    deps.metrics.webhookReceived('refused');
    deps.logger.warn({ reason }, 'refused a webhook POST: bad signature');
    if (options.unreadBody) answerUnread(req, res, answerOf(401, 'invalid_signature', reason));
    else reply(res, 401, 'invalid_signature', reason);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function reply(res: ServerResponse, status: number, code: string, message: string): void {
  const { headers, body } = answerOf(status, code, message);
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function answerOf(status: number, code: string, message: string) {
  const body = status === 200 ? '{"status":"stored"}' : JSON.stringify({ error: code, message });
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}
