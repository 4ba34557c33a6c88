import { BadRequestError } from '../http/errors';
import { readIsoTime } from '../http/iso-time';
import type { DeadLetter, DeadLetterPosition, DeadLetterStatus } from '../store/webhook-store';
import { findTarget, type RedeliveryDeps } from './redelivery';
import { targetName } from './target-name';

/** A dead letter as `GET /api/dead-letters` shows it. */
export interface DeadLetterView {
  /** The event's id: the Idempotency-Key it is sent with. */
  eventId: string;
  /** Named as everywhere outside the store (see targetName). */
  target: string;
  status: DeadLetterStatus;
  /** Attempts since it was last queued. */
  attempts: number;
  /** The target's HTTP status on the last attempt; null when none came (unreachable, timed out, the in-process handler). */
  httpStatus: number | null;
  error: string | null;
  givenUpAt: string;
  receivedAt: string;
  /** The phone number id (or WABA id) whose order it keeps. */
  lane: string;
}

export interface DeadLetterPage {
  deadLetters: DeadLetterView[];
  /** Pass as `before` for the next page; null when this page is the last. */
  next: string | null;
}

export interface DeadLetterListRequest {
  target?: string;
  status?: DeadLetterStatus;
  /** A cursor (`next` of the page before) or an ISO time: only dead letters given up before it. */
  before?: string;
  limit: number;
}

/** The dead letters, newest first, a page at a time. */
export async function listDeadLetters(deps: Pick<RedeliveryDeps, 'webhooks' | 'targets'>, request: DeadLetterListRequest): Promise<DeadLetterPage> {
  const target = request.target === undefined ? undefined : await knownTarget(deps, request.target);
  const before = request.before === undefined ? undefined : positionOf(request.before);
  const found = await deps.webhooks.listDeadLetters({ target, status: request.status, before, limit: request.limit });
  const last = found.at(-1);
  return { deadLetters: found.map(viewOf), next: found.length === request.limit && last ? cursorOf(last.position) : null };
}

/**
 * The target a listing asks about: a configured one, or one no longer configured that still has
 * dead letters (they are listed until pruned, to put it back in FORWARD_URL and replay them).
 */
async function knownTarget(deps: Pick<RedeliveryDeps, 'webhooks' | 'targets'>, requested: string): Promise<string> {
  const withDeadLetters = (await deps.webhooks.deadLetterCounts()).map((c) => c.target);
  const known = [...new Set([...deps.targets, ...withDeadLetters])];
  const found = findTarget(requested, known);
  if (found !== undefined) return found;
  throw new BadRequestError(
    `target ${JSON.stringify(targetName(requested))} is neither configured nor has dead letters; ` +
      (known.length === 0 ? 'no target is configured or has dead letters' : `the known targets are ${known.map((t) => JSON.stringify(targetName(t))).join(', ')}`),
  );
}

function viewOf(d: DeadLetter): DeadLetterView {
  return {
    eventId: d.eventId,
    target: targetName(d.target),
    status: d.status,
    attempts: d.attempts,
    httpStatus: d.httpStatus,
    error: d.error,
    givenUpAt: d.givenUpAt.toISOString(),
    receivedAt: d.receivedAt.toISOString(),
    lane: d.lane,
  };
}

/** A place in the list, opaque to the caller: base64url of `<given up at, epoch ms>.<forward id>`. */
export function cursorOf(position: DeadLetterPosition): string {
  return Buffer.from(`${position.givenUpAt.getTime()}.${position.id}`).toString('base64url');
}

/** `before` as a place in the list: a cursor this API gave, or an ISO time (given up before it). */
function positionOf(before: string): DeadLetterPosition {
  const cursor = /^(\d{1,15})\.(\d{1,15})$/.exec(Buffer.from(before, 'base64url').toString('latin1'));
  if (/^[\w-]+$/.test(before) && cursor) return { givenUpAt: new Date(Number(cursor[1])), id: Number(cursor[2]) };
  const at = readIsoTime(before);
  if (!at) throw new BadRequestError('before must be the `next` of a previous page, or an ISO time such as 2026-12-01T00:00:00Z');
  return { givenUpAt: at, id: 0 };
}
