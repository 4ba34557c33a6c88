import type { RequestHandler } from 'express';
import twilio from 'twilio';
import type { Logger } from '../observability/logger';
import { sorryTwiml } from './twiml';

export interface TwilioSignatureOptions {
  authToken: string;
  /** The base URL Twilio was given; the signed URL is this plus the path and query it called. */
  publicUrl: string;
  /** False only in local mode with TWILIO_SIGNATURE_CHECK=off (config refuses it in production). */
  enabled: boolean;
  logger: Logger;
}

/**
 * Refuses (403) any request whose `X-Twilio-Signature` is missing or wrong, before anything reads
 * it. The URL is rebuilt from the configured PUBLIC_URL, never from `Host` or `X-Forwarded-*`,
 * which a proxy rewrites and a caller controls. Needs the urlencoded parser in front.
 * https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
export function requireTwilioSignature(options: TwilioSignatureOptions): RequestHandler {
  return (req, res, next) => {
    if (!options.enabled) {
      next();
      return;
    }
    const signature = req.header('x-twilio-signature');
    const url = options.publicUrl + req.originalUrl;
    const params = (req.body ?? {}) as Record<string, unknown>;
    if (signature && twilio.validateRequest(options.authToken, signature, url, params)) {
      next();
      return;
    }
    options.logger.warn(
      { path: req.baseUrl + req.path, signedUrlExpected: url, signature: signature ? 'wrong' : 'missing' },
      signature
        ? 'refused a Twilio request: the signature does not match. Twilio signs the exact URL it called: ' +
            "PUBLIC_URL must match the number's voice URL (scheme, host, port, path), and TWILIO_AUTH_TOKEN " +
            "must be this account's auth token"
        : 'refused a Twilio request: no X-Twilio-Signature header (is this request from Twilio?)',
    );
    res.status(403).type('text/xml').send(sorryTwiml());
  };
}
