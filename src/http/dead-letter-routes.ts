import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { refuseCrossSite } from '../page/page-routes';
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../store/webhook-store';
import { backfill } from '../whatsapp/backfill';
import { listDeadLetters } from '../whatsapp/dead-letter-list';
import type { RedeliveryDeps } from '../whatsapp/redelivery';
import { replayDeadLetters } from '../whatsapp/replay';
import { BadRequestError, UnsupportedMediaTypeError } from './errors';
import { readIsoTime } from './iso-time';

const status = z.enum(DEAD_LETTER_STATUSES as [DeadLetterStatus, ...DeadLetterStatus[]], { error: 'must be rejected or expired' });

const ReplayBody = z.strictObject({
  target: z.string().min(1).max(2_000).optional(),
  eventIds: z
    .array(z.string().min(1).max(1_000), { error: 'must be a list of event ids' })
    .min(1, 'must name at least one event (leave it out to replay every dead letter)')
    .max(10_000, 'at most 10,000 at once')
    .optional(),
  status: status.optional(),
});

const BackfillBody = z.strictObject({
  target: z.string({ error: 'required: a target of FORWARD_URL' }).min(1).max(2_000),
  since: z.string({ error: 'required: an ISO time such as 2026-12-01T00:00:00Z' }),
});

/**
 * `GET /api/dead-letters`, `POST /api/dead-letters/replay`, `POST /api/forwards/backfill`, behind
 * `/api`'s admin check. The POSTs take JSON only and are refused from another site: with the page's
 * session cookie, a form on another site could otherwise replay or backfill behind the operator's back
 * (the cookie is SameSite=Strict, and a JSON body cannot come from a form without a preflight).
 */
export function deadLetterRoutes(deps: { redelivery: RedeliveryDeps; publicUrl: string }): Router {
  const router = Router();
  const post = [refuseCrossSite(deps.publicUrl, 'replay and backfill from the page itself'), requireJson, express.json({ limit: '1mb' })];

  router.get('/dead-letters', async (req, res) => {
    res.json(
      await listDeadLetters(deps.redelivery, {
        target: single(req, 'target'),
        status: statusOf(single(req, 'status')),
        before: single(req, 'before'),
        limit: limitOf(single(req, 'limit')),
      }),
    );
  });

  router.post('/dead-letters/replay', ...post, async (req, res) => {
    res.json(await replayDeadLetters(deps.redelivery, parsed(ReplayBody, req.body)));
  });

  router.post('/forwards/backfill', ...post, async (req, res) => {
    const body = parsed(BackfillBody, req.body);
    const since = readIsoTime(body.since);
    if (!since) throw new BadRequestError('since: must be an ISO time such as 2026-12-01T00:00:00Z');
    res.json(await backfill(deps.redelivery, { target: body.target, since }));
  });
  return router;
}

const requireJson: RequestHandler = (req, _res, next) => {
  next(req.is('application/json') ? undefined : new UnsupportedMediaTypeError('send a JSON body, with Content-Type: application/json'));
};

/** The body as `schema` reads it; a 400 naming every problem otherwise. */
function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new BadRequestError(result.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
}

/** A query parameter given at most once. */
function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new BadRequestError(`${name} must be given once`);
}

function statusOf(raw: string | undefined): DeadLetterStatus | undefined {
  if (raw === undefined) return undefined;
  const result = status.safeParse(raw);
  if (!result.success) throw new BadRequestError('status must be rejected or expired');
  return result.data;
}

function limitOf(raw: string | undefined): number {
  const limit = raw === undefined ? 50 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new BadRequestError('limit must be a whole number from 1 to 500');
  return limit;
}
