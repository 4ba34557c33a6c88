import type { RequestHandler } from 'express';
import { answerUnread } from './answer-unread';
import type { BodyBudget } from './body-budget';

/** What a 503 suggests to a caller that reads Retry-After: a few seconds frees what the slow ones held. */
export const BUSY_RETRY_AFTER_S = '5';

export interface CountFormBodyOptions {
  budget: BodyBudget;
  /** The parser's own limit: a body is counted at its Content-Length, at most this. */
  limitBytes: number;
  /** The 503's body, in the route's own terms (TwiML for Twilio). */
  refusal: { contentType: string; body: string };
  onRefused: () => void;
}

/**
 * Counts a form body in the budget of unverified bodies before a byte of it is read, from its
 * Content-Length (the parser's limit when it is chunked), until its answer is sent: Express's
 * urlencoded parser, next, cannot be stopped midway, so such a body fits whole or is refused
 * first, with a 503 and `Retry-After`. The forms are small (a few hundred bytes from Twilio), so
 * they make room by giving up a larger webhook body (body-budget.ts) and are refused only when
 * other forms fill the whole budget.
 */
export function countFormBody(options: CountFormBodyOptions): RequestHandler {
  return (req, res, next) => {
    const bytes = declaredBytes(req.headers, options.limitBytes);
    if (bytes === 0) {
      next();
      return;
    }
    const giveBack = options.budget.reserve(bytes);
    if (!giveBack) {
      options.onRefused();
      answerUnread(req, res, {
        status: 503,
        headers: { 'content-type': options.refusal.contentType, 'retry-after': BUSY_RETRY_AFTER_S },
        body: options.refusal.body,
      });
      return;
    }
    res.once('close', giveBack);
    next();
  };
}

/** The bytes a body will hold: its Content-Length (a parser refuses one over its limit unread), or the limit when chunked. */
function declaredBytes(headers: { 'content-length'?: string; 'transfer-encoding'?: string }, limit: number): number {
  const declared = Number(headers['content-length']);
  if (headers['content-length'] !== undefined && Number.isFinite(declared)) return Math.min(Math.max(declared, 0), limit);
  return headers['transfer-encoding'] ? limit : 0;
}
