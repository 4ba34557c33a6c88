import crypto from 'node:crypto';

/** A number to put on the fake account; everything but the number itself has Twilio's defaults. */
export interface FakeNumberSeed {
  phoneNumber: string;
  sid?: string;
  voiceUrl?: string;
  voiceMethod?: string;
  voiceApplicationSid?: string;
  capabilities?: Partial<FakeCapabilities>;
}

/** What a number can do, as Twilio lists it. */
export interface FakeCapabilities {
  voice: boolean;
  sms: boolean;
  mms: boolean;
  fax: boolean;
}

/** A number on the fake account: the live state, which updates change in place. */
export interface FakeNumber {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  voiceApplicationSid: string;
  voiceFallbackUrl: string;
  voiceFallbackMethod: string;
  smsUrl: string;
  smsMethod: string;
  capabilities: FakeCapabilities;
  dateCreated: Date;
  dateUpdated: Date;
}

/** A request the fake saw outside the Messages API, so a test can prove a dry run made no POST. */
export interface FakeTwilioRequest {
  method: string;
  path: string;
  form: Record<string, string>;
}

/** An answer for the HTTP layer to send as JSON. */
export interface TwilioAnswer {
  status: number;
  body: object;
}

/** What the number routes need to know: whose account it is and what it holds. */
export interface NumberRoutesState {
  accountSid: string;
  numbers: FakeNumber[];
  messagingServiceSids: string[];
}

/** Twilio's error body: RestException reads `code`, `message`, `more_info` and `status` from it. */
export function twilioError(status: number, code: number, message: string): TwilioAnswer {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

/** Compares digests in constant time, so even the fake does not teach `===` on a secret. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

const notFound = () => twilioError(404, 20404, 'The requested resource was not found');

/** Fills a seed with the defaults a freshly bought number has. */
export function seedNumber(seed: FakeNumberSeed): FakeNumber {
  const now = new Date();
  return {
    sid: seed.sid ?? `PN${crypto.randomBytes(16).toString('hex')}`,
    phoneNumber: seed.phoneNumber,
    friendlyName: seed.phoneNumber,
    voiceUrl: seed.voiceUrl ?? '',
    voiceMethod: seed.voiceMethod ?? 'POST',
    voiceApplicationSid: seed.voiceApplicationSid ?? '',
    voiceFallbackUrl: '',
    voiceFallbackMethod: 'POST',
    smsUrl: '',
    smsMethod: 'POST',
    capabilities: { voice: true, sms: true, mms: true, fax: true, ...seed.capabilities },
    dateCreated: now,
    dateUpdated: now,
  };
}

/**
 * Answers the account, IncomingPhoneNumbers and Messaging Service routes, or returns undefined when
 * the path is none of them. Auth has been checked by the caller.
 */
export function answerNumberRoute(state: NumberRoutesState, method: string, url: URL, form: URLSearchParams): TwilioAnswer | undefined {
  const base = `/2010-04-01/Accounts/${state.accountSid}`;
  const path = url.pathname;
  if (method === 'GET' && path === `${base}.json`) return { status: 200, body: accountJson(state.accountSid) };
  if (method === 'GET' && path === `${base}/IncomingPhoneNumbers.json`) return { status: 200, body: numberPage(state, url) };
  const numberMatch = path.startsWith(`${base}/IncomingPhoneNumbers/`) && /\/IncomingPhoneNumbers\/([^/]+)\.json$/.exec(path);
  if (numberMatch && (method === 'GET' || method === 'POST')) {
    const number = state.numbers.find((n) => n.sid === numberMatch[1]);
    if (!number) return notFound();
    if (method === 'POST') applyUpdate(number, form);
    return { status: 200, body: numberJson(state.accountSid, number) };
  }
  const serviceMatch = /^\/v1\/Services\/([^/]+)$/.exec(path);
  if (serviceMatch?.[1] && method === 'GET') {
    const sid = serviceMatch[1];
    return state.messagingServiceSids.includes(sid) ? { status: 200, body: serviceJson(state.accountSid, sid) } : notFound();
  }
  return undefined;
}

/** Only the voice settings wa-onboard changes; a field left out of the form stays as it was. */
function applyUpdate(number: FakeNumber, form: URLSearchParams): void {
  const fields: Array<[string, 'voiceUrl' | 'voiceMethod' | 'voiceApplicationSid' | 'voiceFallbackUrl' | 'voiceFallbackMethod']> = [
    ['VoiceUrl', 'voiceUrl'],
    ['VoiceMethod', 'voiceMethod'],
    ['VoiceApplicationSid', 'voiceApplicationSid'],
    ['VoiceFallbackUrl', 'voiceFallbackUrl'],
    ['VoiceFallbackMethod', 'voiceFallbackMethod'],
  ];
  for (const [param, key] of fields) {
    const value = form.get(param);
    if (value !== null) number[key] = value;
  }
  number.dateUpdated = new Date();
}

/**
 * The filter is an exact match here; Twilio also takes patterns, which wa-onboard never sends.
 * Page.js finds the records as the one key that is not a paging field, so no other key may be added.
 */
function numberPage(state: NumberRoutesState, url: URL): object {
  const wanted = url.searchParams.get('PhoneNumber');
  const pageSize = Number(url.searchParams.get('PageSize') ?? 50) || 50;
  const found = state.numbers.filter((n) => wanted === null || n.phoneNumber === wanted).slice(0, pageSize);
  const uri = `${url.pathname}${url.search}`;
  return {
    incoming_phone_numbers: found.map((n) => numberJson(state.accountSid, n)),
    first_page_uri: uri,
    next_page_uri: null,
    previous_page_uri: null,
    page: 0,
    page_size: pageSize,
    start: 0,
    end: Math.max(found.length - 1, 0),
    uri,
  };
}

function numberJson(accountSid: string, n: FakeNumber): object {
  return {
    sid: n.sid,
    account_sid: accountSid,
    phone_number: n.phoneNumber,
    friendly_name: n.friendlyName,
    voice_url: n.voiceUrl,
    voice_method: n.voiceMethod,
    voice_application_sid: n.voiceApplicationSid,
    voice_fallback_url: n.voiceFallbackUrl,
    voice_fallback_method: n.voiceFallbackMethod,
    voice_caller_id_lookup: false,
    voice_receive_mode: 'voice',
    sms_url: n.smsUrl,
    sms_method: n.smsMethod,
    status: 'in-use',
    capabilities: n.capabilities,
    date_created: n.dateCreated.toUTCString(),
    date_updated: n.dateUpdated.toUTCString(),
    uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
    api_version: '2010-04-01',
  };
}

/** Twilio also answers `auth_token` here; left out so the fake never hands a secret to a log. */
function accountJson(accountSid: string): object {
  const created = new Date(0).toUTCString();
  return {
    sid: accountSid,
    owner_account_sid: accountSid,
    friendly_name: 'wa-onboard fake account',
    status: 'active',
    type: 'Full',
    date_created: created,
    date_updated: created,
    uri: `/2010-04-01/Accounts/${accountSid}.json`,
    subresource_uris: { incoming_phone_numbers: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers.json` },
  };
}

/** Messaging v1 speaks ISO 8601 dates, unlike the 2010 API. */
function serviceJson(accountSid: string, sid: string): object {
  const created = new Date(0).toISOString();
  return {
    sid,
    account_sid: accountSid,
    friendly_name: 'wa-onboard fake messaging service',
    date_created: created,
    date_updated: created,
    inbound_request_url: null,
    inbound_method: 'POST',
    fallback_url: null,
    fallback_method: 'POST',
    status_callback: null,
    sticky_sender: true,
    mms_converter: true,
    smart_encoding: true,
    scan_message_content: 'inherit',
    fallback_to_long_code: true,
    area_code_geomatch: true,
    synchronous_validation: false,
    validity_period: 14400,
    url: `https://messaging.twilio.com/v1/Services/${sid}`,
    links: { phone_numbers: `https://messaging.twilio.com/v1/Services/${sid}/PhoneNumbers` },
    usecase: 'undeclared',
    us_app_to_person_registered: false,
    use_inbound_webhook_on_number: false,
  };
}
