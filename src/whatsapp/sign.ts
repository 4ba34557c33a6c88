import { createHmac } from 'node:crypto';

/**
 * `sha256=` + lowercase hex HMAC-SHA256 of `body` keyed with `secret`: how Meta signs its webhook
 * (X-Hub-Signature-256) and how we sign what we forward (X-Wa-Onboard-Signature-256). Sign the
 * bytes that are sent, never a re-serialised copy of them.
 */
export function signPayload(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
