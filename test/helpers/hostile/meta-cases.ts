import { createHmac } from 'node:crypto';
import { MAX_WEBHOOK_BYTES } from '../../../src/whatsapp/intake';
import { META } from '../harness';
import { FIXTURE_NAMES, fixtureWire } from '../meta-wire';
import { JSON_TYPE, metaPost, metaSignature, sized, type HostileCase } from './case';

const SIG = 'X-Hub-Signature-256';
/** A header of the right form that matches no body: the intake must read the body to refuse it. */
const WELL_FORMED_WRONG = `sha256=${'0'.repeat(64)}`;

type Mutation = (body: Buffer, good: string) => { body?: Buffer; signatures: string[]; headers?: Array<[string, string]> };

/** Ways to get the signature wrong, each applied to every fixture: all are refused with 401. */
const SIGNATURE_MUTATIONS: Record<string, Mutation> = {
  'no signature header': () => ({ signatures: [] }),
  'an empty signature': () => ({ signatures: [''] }),
  '"sha256=" and nothing': () => ({ signatures: ['sha256='] }),
  'a sha1= HMAC': (body) => ({ signatures: [`sha1=${createHmac('sha1', META.appSecret).update(body).digest('hex')}`] }),
  'the hex without "sha256="': (_body, good) => ({ signatures: [good.slice('sha256='.length)] }),
  'a signature made with another secret': (body) => ({ signatures: [metaSignature(body, `${META.appSecret}-other`)] }),
  'a valid signature replayed on a body with one byte changed': (body, good) => ({ body: flipByte(body, body.length >> 1), signatures: [good] }),
  'a valid signature replayed on a body with a space appended': (body, good) => ({ body: Buffer.concat([body, Buffer.from(' ')]), signatures: [good] }),
  'a valid signature replayed on the body re-serialised': (body, good) => ({
    body: Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 1)),
    signatures: [good],
  }),
  'a valid signature replayed on the body cut by one byte': (body, good) => ({ body: body.subarray(0, -1), signatures: [good] }),
  '63 hex digits': (_body, good) => ({ signatures: [good.slice(0, -1)] }),
  '65 hex digits': (_body, good) => ({ signatures: [`${good}0`] }),
  '64 characters that are not hex': () => ({ signatures: [`sha256=${'g'.repeat(64)}`] }),
  'the HMAC in base64 instead of hex': (body) => ({ signatures: [`sha256=${createHmac('sha256', META.appSecret).update(body).digest('base64')}`] }),
  'a wrong signature header, then the valid one': (_body, good) => ({ signatures: [WELL_FORMED_WRONG, good] }),
  'the valid signature header twice': (_body, good) => ({ signatures: [good, good] }),
  'the signature of an empty body': () => ({ signatures: [metaSignature('')] }),
  'the legacy X-Hub-Signature (sha1) header only': (body) => ({
    signatures: [],
    headers: [['X-Hub-Signature', `sha1=${createHmac('sha1', META.appSecret).update(body).digest('hex')}`]],
  }),
};

export function metaSignatureCases(): HostileCase[] {
  return FIXTURE_NAMES.flatMap((fixture) => {
    const original = fixtureWire(fixture);
    const good = metaSignature(original);
    return Object.entries(SIGNATURE_MUTATIONS).map(([mutation, mutate]) => {
      const { body = original, signatures, headers = [] } = mutate(original, good);
      const sigHeaders = signatures.map((s): [string, string] => [SIG, s]);
      return metaPost(`${fixture}: ${mutation}`, body, [JSON_TYPE, ...sigHeaders, ...headers], { category: 'meta signature', expect: [401] });
    });
  });
}

/** Over 3 MB, lying about the length, or cut short: refused or abandoned, never stored. */
export function metaSizeCases(): HostileCase[] {
  const over = Buffer.from(sized(MAX_WEBHOOK_BYTES + 1, '{"x":"'));
  const huge = Buffer.alloc(8 * 1024 * 1024, 0x61);
  const open = '{"object":"whatsapp_business_account","entry":[],"pad":"';
  const atLimit = Buffer.from(`${open}${sized(MAX_WEBHOOK_BYTES - open.length - 2)}"}`);
  const small = fixtureWire('text');
  const size = (name: string, body: Buffer, headers: Array<[string, string]>, rest: Pick<HostileCase, 'expect'> & Partial<HostileCase>) =>
    metaPost(name, body, headers, { category: 'meta size', ...rest });
  const signed = (body: Buffer): Array<[string, string]> => [JSON_TYPE, [SIG, metaSignature(body)]];
  return [
    size('a signed body of 3 MB and 1 byte, with its length', over, signed(over), { expect: [413] }),
    size('a signed body of 3 MB and 1 byte, chunked', over, signed(over), { expect: [413], delivery: { kind: 'chunked' } }),
    size('8 MB chunked with a well-formed wrong signature', huge, [JSON_TYPE, [SIG, WELL_FORMED_WRONG]], { expect: [413], delivery: { kind: 'chunked' } }),
    size('8 MB chunked without a signature', huge, [JSON_TYPE], { expect: [401], delivery: { kind: 'chunked' } }),
    size('a declared length of 3 MB and 1 byte, 100 bytes sent', small.subarray(0, 100), signed(small), {
      expect: [413],
      delivery: { kind: 'truncated', declared: MAX_WEBHOOK_BYTES + 1 },
    }),
    size('a declared length of 10^15', small, signed(small), { expect: [413], delivery: { kind: 'truncated', declared: 1e15 } }),
    size('a signed body of exactly 3 MB', atLimit, signed(atLimit), { expect: [200] }),
    size('signed, with Expect: 100-continue', small, [...signed(small), ['Expect', '100-continue']], { expect: [200] }),
    size('unsigned, with Expect: 100-continue', small, [JSON_TYPE, ['Expect', '100-continue']], { expect: [401] }),
    size('signed, with 1,000 extra headers', small, [...signed(small), ...Array.from({ length: 1000 }, (_, i): [string, string] => [`X-${i}`, '1'])], { expect: [200] }),
    size('signed, with 3,000 extra headers (over 16 KB)', small, [...signed(small), ...Array.from({ length: 3000 }, (_, i): [string, string] => [`X-${i}`, '1'])], { expect: [431] }),
    size('signed, over HTTP/1.0', small, signed(small), { expect: [200], version: 'HTTP/1.0' }),
    size('1,000 bytes declared, 10 sent, then the socket closes', small.subarray(0, 10), signed(small), {
      expect: ['client-closed'],
      delivery: { kind: 'truncated', declared: 1000 },
    }),
    size('1,000 bytes declared, 10 sent, no signature', small.subarray(0, 10), [JSON_TYPE], { expect: [401], delivery: { kind: 'truncated', declared: 1000 } }),
    size('a chunk cut off mid-way, then the socket closes', Buffer.from('3e8\r\n{"object":'), [
      ['Host', '127.0.0.1'], JSON_TYPE, ['Transfer-Encoding', 'chunked'], [SIG, metaSignature(small)],
    ], { expect: ['client-closed'], delivery: { kind: 'raw', hangUp: true } }),
    ...[
      ['a Content-Length too large to be a number', [['Content-Length', '9'.repeat(30)]]],
      ['a negative Content-Length', [['Content-Length', '-1']]],
      ['a Content-Length that is not a number', [['Content-Length', '12abc']]],
      ['two different Content-Length headers', [['Content-Length', String(small.length)], ['Content-Length', '5']]],
      ['Content-Length and Transfer-Encoding together', [['Content-Length', String(small.length)], ['Transfer-Encoding', 'chunked']]],
      ['Transfer-Encoding that is not chunked', [['Transfer-Encoding', 'gzip']]],
    ].map(([name, framing]) =>
      size(name as string, small, [['Host', '127.0.0.1'], ['Connection', 'close'], ...signed(small), ...(framing as Array<[string, string]>)], {
        expect: [400],
        delivery: { kind: 'raw' },
      }),
    ),
  ];
}

/** Signed correctly, so they reach the parser: stored (and flagged if unreadable), answered 200. */
export function metaBodyCases(): HostileCase[] {
  const text = fixtureWire('text');
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const envelopeAround = (value: string) =>
    `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":${value}}]}]}`;
  const bodies: Array<[string, Buffer | string, string | null]> = [
    ['JSON sent as a form', text, 'application/x-www-form-urlencoded'],
    ['a form body', 'object=whatsapp_business_account&entry=1', 'application/x-www-form-urlencoded'],
    ['multipart', '--b\r\nContent-Disposition: form-data; name="object"\r\n\r\nx\r\n--b--\r\n', 'multipart/form-data; boundary=b'],
    ['no Content-Type', text, null],
    ['text/plain', text, 'text/plain'],
    ['JSON labelled UTF-16', text, 'application/json; charset=utf-16'],
    ['gzip announced, plain bytes sent', text, 'application/json'],
    ['invalid UTF-8 (0xFF 0xFE) in a string', Buffer.concat([Buffer.from('{"object":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), 'application/json'],
    ['an overlong UTF-8 "/" (0xC0 0xAF)', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), 'application/json'],
    ['a UTF-8-encoded lone surrogate', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), 'application/json'],
    ['a multi-byte character cut at the end', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xe2, 0x82])]), 'application/json'],
    ['UTF-16LE with a byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.toString('utf8'), 'utf16le')]), 'application/json'],
    ['a UTF-8 byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]), 'application/json'],
    ['100,000 unclosed "["', '['.repeat(100_000), 'application/json'],
    ['100,000 levels of nested arrays', deep(100_000), 'application/json'],
    ['a field value nested 100,000 levels deep', `{"object":"whatsapp_business_account","entry":[{"id":"1","time":1,"changes":[{"field":"security","value":${deep(100_000)}}]}]}`, 'application/json'],
    ['a message whose text nests 100,000 levels deep', envelopeAround(`{"messaging_product":"whatsapp","messages":[{"id":"wamid.DEEP","timestamp":"1","type":"text","text":${deep(100_000)}}]}`), 'application/json'],
    ['an array of 200,000 numbers', `[${Array(200_000).fill('0').join(',')}]`, 'application/json'],
    // Past MAX_UPDATES_PER_POST a POST is flagged without being expanded (200,000 entries once held
    // the event loop for 10 s); just under it, every unreadable entry becomes an event.
    ['an envelope of 200,000 empty entries', `{"object":"whatsapp_business_account","entry":[${Array(200_000).fill('{}').join(',')}]}`, 'application/json'],
    ['an envelope of 4,999 empty entries', `{"object":"whatsapp_business_account","entry":[${Array(4_999).fill('{}').join(',')}]}`, 'application/json'],
    ['"__proto__" and "constructor" keys', '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"object":"whatsapp_business_account","entry":[]}', 'application/json'],
    ['an empty body', '', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['a JSON string', '"whatsapp_business_account"', 'application/json'],
    ['1e400', '1e400', 'application/json'],
    ['1 KB of NUL bytes', Buffer.alloc(1024), 'application/json'],
    ['duplicate keys', '{"object":"x","object":"whatsapp_business_account","entry":[],"entry":{}}', 'application/json'],
  ];
  return bodies.map(([name, raw, type]) => {
    const body = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    const headers: Array<[string, string]> = [[SIG, metaSignature(body)]];
    if (type) headers.push(['Content-Type', type]);
    if (name.startsWith('gzip')) headers.push(['Content-Encoding', 'gzip']);
    return metaPost(name, body, headers, { category: 'meta body', expect: [200] });
  });
}

function flipByte(body: Buffer, at: number): Buffer {
  const copy = Buffer.from(body);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}
