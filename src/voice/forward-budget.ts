import type { Admission, AdmissionWindow, Forwarding, Recipient } from '../store/call-store';

/**
 * Who may make the team's phones ring, and how often (issue 16). Anyone can phone the number, and
 * every call the service answers ends in an email and an SMS to each recipient: its code, or the
 * "no code heard" notice. Meta calls once per `request_code`, a few times a day at most, so:
 * - a caller outside `callersAllowed` (E.164 prefixes; null lets everyone in) is never forwarded;
 * - of the others, at most `limit` calls in any hour are forwarded, counted from the calls stored;
 * - the first call held back over the limit, when none was in the hour before it, brings the team
 *   one notice that forwarding paused, and why.
 * Held calls are answered as usual (Twilio and the caller see no difference), stored, and shown on
 * the operator page and at `/api/codes`, where a code of Meta's is still there to read.
 */
export interface ForwardingRules {
  /** CALL_FORWARD_LIMIT: calls forwarded in any hour. */
  limit: number;
  /** CALLERS_ALLOWED: E.164 prefixes such as `+1650`; null when unset (every caller). */
  callersAllowed: string[] | null;
}

/** The budget's window: the calls forwarded in the hour before a new one are counted. */
export const FORWARD_WINDOW_MS = 60 * 60_000;

/** Whether `from` (Twilio's `From`: E.164, or `anonymous`, `client:...`, `sip:...`) starts with an allowed prefix. */
export function callerAllowed(from: string, callersAllowed: string[] | null): boolean {
  if (callersAllowed === null) return true;
  return callersAllowed.some((prefix) => from.startsWith(prefix));
}

/**
 * The budget rule: what a new call's forwarding is, given what the window before it holds, and
 * whether it brings the pause notice. A call held because of its caller never uses the budget and
 * never pauses anything: it was never going to be forwarded.
 */
export function decideForwarding(
  rules: ForwardingRules,
  from: string,
  window: AdmissionWindow,
): { forwarding: Forwarding; pause: boolean } {
  if (!callerAllowed(from, rules.callersAllowed)) return { forwarding: 'caller-not-allowed', pause: false };
  if (window.forwarded < rules.limit) return { forwarding: 'forwarded', pause: false };
  return { forwarding: 'over-limit', pause: !window.paused };
}

/** What the store needs to admit a call from `from` under `rules`, in the transaction that records it. */
export function admissionFor(rules: ForwardingRules, from: string, recipients: Recipient[]): Admission {
  return { windowMs: FORWARD_WINDOW_MS, recipients, decide: (window) => decideForwarding(rules, from, window) };
}

/**
 * What a call's forwarding is when the store cannot be asked (the database is down, and the code
 * goes to the spool): the caller is checked, the budget cannot be counted. Losing Meta's code would
 * be worse than an SMS over the budget, and a stranger cannot take the database down.
 */
export function forwardingWithoutStore(rules: ForwardingRules, from: string): Forwarding {
  return callerAllowed(from, rules.callersAllowed) ? 'forwarded' : 'caller-not-allowed';
}

/** How the page, `/api/codes` readers and the logs say why a call was not forwarded. */
export const HELD_REASONS: Record<Exclude<Forwarding, 'forwarded'>, string> = {
  'over-limit': 'over the hourly limit',
  'caller-not-allowed': 'caller not allowed',
};
