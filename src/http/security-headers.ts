import type { RequestHandler } from 'express';

/**
 * Only our own script, style and connections; no inline script or style, no plugin, no framing,
 * forms posting only to us. The operator page needs nothing more, and the rest of the service
 * answers Twilio and Meta with XML and JSON that need nothing at all.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers that keep the operator page (and every other answer) from being framed, sniffed or leaked. */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  const headers: Record<string, string> = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    // For browsers that predate frame-ancestors.
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  // Only when the public URL is https: over plain http the header would be ignored anyway.
  if (options.https) headers['Strict-Transport-Security'] = 'max-age=31536000';
  return (_req, res, next) => {
    res.set(headers);
    next();
  };
}
