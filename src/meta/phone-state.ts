import type { PhoneNumberState } from './phone-numbers';

/**
 * Statuses of a number that is registered, whether or not it may send now. Meta reports
 * `code_verification_status: EXPIRED` on many of these, long after the code did its job, so
 * registration, not the code's status, says whether a new code is needed.
 */
const REGISTERED = new Set(['CONNECTED', 'FLAGGED', 'RESTRICTED', 'RATE_LIMITED', 'BANNED', 'MIGRATED']);

export function isRegistered(phone: PhoneNumberState): boolean {
  return REGISTERED.has(phone.status ?? '');
}

/** A code is needed only by a number neither registered nor verified. */
export function needsCode(phone: PhoneNumberState): boolean {
  return !isRegistered(phone) && phone.code_verification_status !== 'VERIFIED';
}

/**
 * Where Meta sends the number's message events: the most specific setting wins, the number's
 * override, then the WABA's, then the app's. (Template, quality and account updates always go to
 * the app's URL.)
 */
export function effectiveWebhook(phone: PhoneNumberState): string | null {
  const hooks = phone.webhook_configuration ?? {};
  return hooks.phone_number ?? hooks.whatsapp_business_account ?? hooks.application ?? null;
}
