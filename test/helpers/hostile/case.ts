import twilio from 'twilio';
import { signPayload } from '../../../src/whatsapp/sign';
import { ACCOUNT, META, PUBLIC_URL } from '../harness';
import type { Outcome, RawRequest } from '../raw-http';

export type Category =
  | 'meta signature'
  | 'meta size'
  | 'meta body'
  | 'twilio signature'
  | 'twilio size'
  | 'twilio body'
  | 'twilio injection'
  | 'twilio caller'
  | 'admin api'
  | 'login'
  | 'paths'
  | 'methods'
  | 'challenge';

/** A status, or what a request that never got one ended with. */
export type Status = Outcome['status'];

/** One hostile request, named, with the answers it may get. */
export interface HostileCase extends RawRequest {
  category: Category;
  name: string;
  expect: Status[];
  /** The exact body a 200 must have (Meta's challenge, echoed byte for byte). */
  expectBody?: string;
  /** Text that must not appear in the answer (a file outside assets/). */
  mustNotContain?: string[];
  /** The route that stores what it accepts: Meta's intake (an inbox row), or Twilio's (a call row). */
  stores?: 'inbox' | 'call';
  /** Twilio requests: the CallSid, and what an accepted one must add to the store. */
  call?: { sid: string; addsCall: boolean; addsCode: boolean };
}

export type Params = Record<string, string | string[]>;

/** Meta's header for `body`, signed with the app secret (or `secret`). */
export function metaSignature(body: Buffer | string, secret = META.appSecret): string {
  return signPayload(secret, body);
}

/** A POST to Meta's webhook route, with the headers given (none added). */
export function metaPost(
  name: string,
  body: Buffer,
  headers: Array<[string, string]>,
  extra: Omit<Partial<HostileCase>, 'name' | 'body' | 'headers'> & Pick<HostileCase, 'category' | 'expect'>,
): HostileCase {
  return { method: 'POST', target: '/webhooks/whatsapp', stores: 'inbox', name, body, headers, ...extra };
}

/** `application/x-www-form-urlencoded` of the pairs, repeats kept, as Twilio encodes them. */
export function formBody(params: Params | Array<[string, string]>): Buffer {
  const pairs = Array.isArray(params) ? params : Object.entries(params).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v] as [string, string]]));
  return Buffer.from(new URLSearchParams(pairs).toString());
}

/** X-Twilio-Signature for `params` POSTed to `PUBLIC_URL + pathAndQuery` (or a whole `url`). */
export function twilioSignature(pathAndQuery: string, params: Params, options: { token?: string; url?: string } = {}): string {
  return twilio.getExpectedTwilioSignature(options.token ?? ACCOUNT.authToken, options.url ?? PUBLIC_URL + pathAndQuery, params);
}

export const FORM: [string, string] = ['Content-Type', 'application/x-www-form-urlencoded'];
export const JSON_TYPE: [string, string] = ['Content-Type', 'application/json'];

/** `n` bytes of `fill`, for bodies and headers of a chosen size. */
export function sized(n: number, fill = 'a'): string {
  return fill.repeat(Math.ceil(n / fill.length)).slice(0, n);
}
