import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The header our own commands (`wa-onboard doctor`, `wa-onboard simulate webhook`) add to the
 * requests they make as Meta would: the traffic is a rehearsal, to be kept apart from Meta's.
 */
export const REHEARSAL_HEADER = 'x-wa-onboard-rehearsal';

const FORM = /^sha256=([0-9a-f]{64})$/;

/**
 * The key of the marks, derived from the secret that authenticates the request (the app secret for
 * a POST, the verify token for the subscription check). Not the secret itself: an HMAC of a body
 * under the app secret is X-Hub-Signature-256, which every real POST from Meta carries, so a mark
 * keyed that way could be copied from a captured POST onto its replay, to hide a real event as a
 * rehearsal. Under the derived key nobody without the secret can make a mark, and Meta never does.
 */
function markKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('wa-onboard rehearsal mark v1').digest();
}

/**
 * `sha256=<hex>`: the mark of a request that carries `bytes` (a POST's raw body, or the challenge of
 * a subscription check), bound to them so it cannot be moved onto another request.
 */
export function rehearsalMark(secret: string, bytes: Buffer | string): string {
  return `sha256=${createHmac('sha256', markKey(secret)).update(bytes).digest('hex')}`;
}

/**
 * Whether `header` is the mark of `bytes` under one of `secrets`, compared in constant time. It is
 * only ever asked of a request that passed its own check (the signature, or the verify token): the
 * mark marks an authentic request as ours, and never stands in for that check.
 */
export function isRehearsal(header: string | undefined, bytes: Buffer | string, secrets: string[]): boolean {
  const hex = FORM.exec(header ?? '')?.[1];
  if (!hex) return false;
  const given = Buffer.from(hex, 'hex');
  return secrets.some((secret) => timingSafeEqual(given, createHmac('sha256', markKey(secret)).update(bytes).digest()));
}
