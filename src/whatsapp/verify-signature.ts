import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = { ok: true; secretIndex: number } | { ok: false; reason: string };

const FORM = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Checks a `sha256=<hex>` signature against the raw body, for each secret in turn (the current
 * one, then the previous one during a rotation). The hex is decoded and compared with
 * `timingSafeEqual`, so the time taken says nothing of how much matched. The reasons diagnose:
 * they say what was wrong with the header and what to check.
 * https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
 */
export function verifySignature(header: string | undefined, body: Buffer, secrets: string[]): SignatureCheck {
  const name = 'X-Hub-Signature-256';
  if (header === undefined || header === '') {
    return { ok: false, reason: `${name} is missing: every event POST is signed; is this request from Meta?` };
  }
  if (!header.startsWith('sha256=')) return { ok: false, reason: `${name} must start with "sha256="` };
  const match = FORM.exec(header);
  if (!match?.[1]) return { ok: false, reason: `${name} must be "sha256=" followed by 64 hex characters` };
  const given = Buffer.from(match[1], 'hex');
  for (const [secretIndex, secret] of secrets.entries()) {
    const expected = createHmac('sha256', secret).update(body).digest();
    if (timingSafeEqual(given, expected)) return { ok: true, secretIndex };
  }
  return {
    ok: false,
    reason:
      `${name} does not match the body: check that WHATSAPP_APP_SECRET is the secret of the app Meta ` +
      'signs with (App settings > Basic), and that nothing between Meta and this service rewrites the body',
  };
}
