import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = { ok: true; secretIndex: number } | { ok: false; reason: string };

const NAME = 'X-Hub-Signature-256';
// Meta sends lowercase hex; uppercase is the same signature, and refusing it would protect nothing.
const FORM = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Checks a `sha256=<hex>` signature against the raw body, for each secret in turn (the current
 * one, then the previous one during a rotation). The hex is decoded and compared with
 * `timingSafeEqual`, so the time taken says nothing of how much matched. The reasons diagnose:
 * they say what was wrong with the header and what to check.
 * https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
 */
export function verifySignature(header: string | undefined, body: Buffer, secrets: string[]): SignatureCheck {
  const problem = signatureFormProblem(header);
  const hex = FORM.exec(header ?? '')?.[1];
  if (problem || !hex) return { ok: false, reason: problem ?? `${NAME} is malformed` };
  const given = Buffer.from(hex, 'hex');
  for (const [secretIndex, secret] of secrets.entries()) {
    const expected = createHmac('sha256', secret).update(body).digest();
    if (timingSafeEqual(given, expected)) return { ok: true, secretIndex };
  }
  return {
    ok: false,
    reason:
      `${NAME} does not match the body: check that WHATSAPP_APP_SECRET is the secret of the app Meta ` +
      'signs with (App settings > Basic), and that nothing between Meta and this service rewrites the body',
  };
}

/**
 * What is wrong with the header's form, or null when it could be a signature. Checked before the
 * body is read, so a request that cannot be authentic costs no 3 MB read.
 */
export function signatureFormProblem(header: string | undefined): string | null {
  if (header === undefined || header === '') return `${NAME} is missing: every event POST is signed; is this request from Meta?`;
  if (!header.startsWith('sha256=')) return `${NAME} must start with "sha256="`;
  if (!FORM.test(header)) return `${NAME} must be "sha256=" followed by 64 hex characters`;
  return null;
}
