import { extractCode } from '../../../src/voice/extract-code';
import { callParams } from '../harness';
import { FORM, formBody, sized, twilioSignature, type Category, type HostileCase, type Params, type Status } from './case';

export const TWILIO_ROUTES = ['/twilio/voice', '/twilio/gather?listen=1', '/twilio/recording', '/twilio/call-recording', '/twilio/transcription'];
const SIG = 'X-Twilio-Signature';

/** CallSids unique to a round, so what each accepted request stored can be found again. */
export function callSids(round: number): () => string {
  let n = 0;
  return () => `CA${String(round).padStart(4, '0')}${(n++).toString(16).padStart(28, '0')}`;
}

interface TwilioPost {
  category: Category;
  name: string;
  /** Path and query as sent (the signature is made for it unless `signedFor` says otherwise). */
  target: string;
  /** The parameters sent. */
  params: Params | Array<[string, string]>;
  /** The parameters as the service will read them, when they differ from what was sent. */
  signAs?: Params;
  /** The X-Twilio-Signature headers sent; default: the valid one. */
  signatures?: string[];
  headers?: Array<[string, string]>;
  body?: Buffer;
  expect: Status[];
  delivery?: HostileCase['delivery'];
}

/** A POST to `/twilio/...`, and what it must add to the store if it is accepted. */
export function twilioPost(post: TwilioPost): HostileCase {
  const sent = Array.isArray(post.params) ? Object.fromEntries(post.params) : post.params;
  const read = post.signAs ?? sent;
  const signatures = post.signatures ?? [twilioSignature(post.target, read)];
  const sid = typeof read.CallSid === 'string' ? read.CallSid : '';
  return {
    category: post.category,
    name: post.name,
    method: 'POST',
    target: post.target,
    headers: [...(post.headers ?? [FORM]), ...signatures.map((s): [string, string] => [SIG, s])],
    body: post.body ?? formBody(post.params),
    delivery: post.delivery,
    expect: post.expect,
    stores: 'call',
    call: { sid, ...whatItStores(post.target, read) },
  };
}

/** What an accepted request adds: every route records the call, except a try that heard no code. */
function whatItStores(target: string, params: Params): { addsCall: boolean; addsCode: boolean } {
  const text = (name: string) => (typeof params[name] === 'string' ? params[name] : undefined);
  const hasCode = (heard: string | undefined) => extractCode(heard, { length: 6, language: 'en-US' }) !== null;
  const route = target.split('?')[0];
  if (route === '/twilio/gather') {
    const addsCode = hasCode(text('Digits') || text('SpeechResult'));
    return { addsCall: addsCode, addsCode };
  }
  if (route === '/twilio/transcription') {
    const completed = text('TranscriptionStatus') === undefined || text('TranscriptionStatus') === 'completed';
    return { addsCall: true, addsCode: completed && hasCode(text('TranscriptionText')) };
  }
  return { addsCall: true, addsCode: false };
}

type SignatureMutation = (target: string, params: Params) => Omit<TwilioPost, 'category' | 'name' | 'expect'>;

const OTHER_TOKEN = 'e'.repeat(32);

/** Ways to get Twilio's signature wrong, on every route: each is refused with 403 TwiML. */
const SIGNATURE_MUTATIONS: Record<string, SignatureMutation> = {
  'no signature': (target, params) => ({ target, params, signatures: [] }),
  'an empty signature': (target, params) => ({ target, params, signatures: [''] }),
  'a signature that is not base64': (target, params) => ({ target, params, signatures: ['!!not*base64!!'] }),
  'a base64 signature of the wrong length': (target, params) => ({ target, params, signatures: [Buffer.alloc(10).toString('base64')] }),
  'a signature made with another auth token': (target, params) => ({ target, params, signatures: [twilioSignature(target, params, { token: OTHER_TOKEN })] }),
  'a valid signature replayed with From changed': (target, params) => ({ target, params: { ...params, From: '+19005550199' }, signatures: [twilioSignature(target, params)] }),
  'a valid signature replayed with Digits added': (target, params) => ({ target, params: { ...params, Digits: '123456' }, signatures: [twilioSignature(target, params)] }),
  'a valid signature replayed with To removed': (target, params) => ({
    target,
    params: Object.fromEntries(Object.entries(params).filter(([name]) => name !== 'To')),
    signatures: [twilioSignature(target, params)],
  }),
  'a valid signature replayed with a parameter name re-cased': (target, params) => {
    const { From: from = '', ...rest } = params;
    return { target, params: { ...rest, from }, signatures: [twilioSignature(target, params)] };
  },
  'a valid signature replayed on another route': (target, params) => ({
    target,
    params,
    signatures: [twilioSignature(target.startsWith('/twilio/voice') ? '/twilio/recording' : '/twilio/voice', params)],
  }),
  'a valid signature replayed with the query changed': (target, params) => ({
    target: target.includes('?') ? target.replace('listen=1', 'listen=2') : `${target}?listen=2`,
    params,
    signatures: [twilioSignature(target, params)],
  }),
  'a signature for the URL the request reached (Host), not PUBLIC_URL': (target, params) => ({
    target,
    params,
    signatures: [twilioSignature(target, params, { url: `http://127.0.0.1${target}` })],
  }),
  'a signature for a forwarded host, with X-Forwarded-Host and -Proto': (target, params) => ({
    target,
    params,
    headers: [FORM, ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'https']],
    signatures: [twilioSignature(target, params, { url: `https://evil.example${target}` })],
  }),
  'a wrong signature header, then the valid one': (target, params) => ({ target, params, signatures: [Buffer.alloc(20).toString('base64'), twilioSignature(target, params)] }),
  "the valid signature with its letters' case swapped": (target, params) => ({
    target,
    params,
    signatures: [[...twilioSignature(target, params)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')],
  }),
};

export function twilioSignatureCases(round: number): HostileCase[] {
  const sid = callSids(round * 10 + 1);
  return TWILIO_ROUTES.flatMap((route) =>
    Object.entries(SIGNATURE_MUTATIONS).map(([name, mutate]) => {
      const params = callParams(sid(), { SpeechResult: '4 8 2 9 1 7', TranscriptionText: '482917', RecordingUrl: 'https://api.twilio.com/r' });
      const post = mutate(route, params);
      // Whatever the mutation sent, the store must not hold this CallSid.
      return { ...twilioPost({ category: 'twilio signature', name: `${route}: ${name}`, expect: [403], ...post }), call: { sid: params.CallSid ?? '', addsCall: false, addsCode: false } };
    }),
  );
}

/** Over the 64 KB form limit, too many parameters, or cut short. */
export function twilioSizeCases(round: number): HostileCase[] {
  const sid = callSids(round * 10 + 2);
  const size = (name: string, rest: Omit<TwilioPost, 'category' | 'name'>) => twilioPost({ category: 'twilio size', name, ...rest });
  const perRoute = TWILIO_ROUTES.flatMap((target) => {
    const padded = callParams(sid(), { Pad: sized(70 * 1024) });
    const chunked = callParams(sid(), { Pad: sized(70 * 1024) });
    return [
      size(`${target}: a signed body over 64 KB, with its length`, { target, params: padded, expect: [413] }),
      size(`${target}: a signed body over 64 KB, chunked`, { target, params: chunked, expect: [413], delivery: { kind: 'chunked' } }),
    ];
  });
  const small = callParams(sid());
  const many = callParams(sid(), Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`P${i}`, 'x'])));
  const cut = callParams(sid());
  return [
    ...perRoute,
    size('1 MB chunked, unsigned', { target: '/twilio/voice', params: callParams(sid(), { Pad: sized(1024 * 1024) }), signatures: [], expect: [413], delivery: { kind: 'chunked' } }),
    // body-parser drains a refused body before it answers: a client that declares 10 MB and stops
    // sending gets its 413 only if it stays; this one hangs up, and the service must let it go.
    size('a declared length of 10 MB, 100 bytes sent', {
      target: '/twilio/voice',
      params: small,
      body: formBody(small).subarray(0, 100),
      expect: ['client-closed', 413],
      delivery: { kind: 'truncated', declared: 10 * 1024 * 1024 },
    }),
    size('207 parameters, signed', { target: '/twilio/voice', params: many, expect: [413] }),
    twilioPost({
      category: 'twilio size',
      name: '1,000 bytes declared, 10 sent, then the socket closes',
      target: '/twilio/voice',
      params: cut,
      body: formBody(cut).subarray(0, 10),
      expect: ['client-closed'],
      delivery: { kind: 'truncated', declared: 1000 },
    }),
  ];
}
