import { DeliveryError } from './delivery-error';
import { textOf } from './text-of';

/**
 * Twilio error codes for which a retry cannot help, with what the operator should do.
 * https://www.twilio.com/docs/api/errors
 */
const PERMANENT_SMS_ERRORS: Record<number, string> = {
  21211: "the 'To' number is not a valid phone number: fix NOTIFY_SMS_TO",
  21408: "SMS to this region is not enabled: allow it in Twilio's Messaging geo permissions",
  21606: "the 'From' number cannot send SMS: set TWILIO_SMS_FROM to an SMS-capable number or Messaging Service",
  21608: 'a trial account can only text verified numbers: verify the recipient in Twilio or upgrade the account',
  21610: 'the recipient replied STOP: they must reply START before they can receive texts again',
  21612: 'Twilio cannot route a text to this number from this sender',
  21614: "the 'To' number is not a mobile number that can receive SMS",
};

interface TwilioRestError {
  status?: number;
  code?: unknown;
  message?: unknown;
}

/** HTTP 429 and 5xx are Twilio asking to come back later; no HTTP answer is a network fault. */
export function classifyTwilioError(error: unknown): DeliveryError {
  const e = (error ?? {}) as TwilioRestError;
  const message = textOf(e.message);
  const code = typeof e.code === 'number' ? e.code : undefined;
  const known = code === undefined ? undefined : PERMANENT_SMS_ERRORS[code];
  if (known) return new DeliveryError(`Twilio error ${code}: ${known}`, { permanent: true });
  if (typeof e.status !== 'number') {
    const reason = typeof e.code === 'string' ? `${e.code}: ${message}` : message || 'unknown error';
    return new DeliveryError(`Twilio's API could not be reached (${reason.trim()})`, { permanent: false });
  }
  const detail = `HTTP ${e.status}${code ? `, Twilio error ${code}` : ''}: ${message}`.trim();
  if (e.status === 429 || e.status >= 500 || code === 20429) {
    return new DeliveryError(`Twilio asked to try again later (${detail})`, { permanent: false });
  }
  const authHint = e.status === 401 ? ' (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)' : '';
  return new DeliveryError(`Twilio refused the message (${detail})${authHint}`, { permanent: true });
}
