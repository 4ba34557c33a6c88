import { callParams, META } from '../harness';
import { fixtureWire } from '../meta-wire';
import { FORM, formBody, JSON_TYPE, metaSignature, sized, twilioSignature, type HostileCase, type Status } from './case';

/** What a file read from outside assets/ would show: package.json, the sources, /etc/passwd. */
const LEAKS = ['"name": "wa-onboard"', 'import ', 'root:x:0:0'];
const MISSING: Status[] = [400, 404];

const TRAVERSALS = [
  '/assets/../package.json',
  '/assets/%2e%2e/package.json',
  '/assets/%2e%2e%2fpackage.json',
  '/assets/..%2f..%2fpackage.json',
  '/assets/..%5c..%5cpackage.json',
  '/assets/%252e%252e/package.json',
  '/assets/....//package.json',
  '/assets/%c0%ae%c0%ae/package.json',
  '/assets/operator-page.css%00',
  '/assets/operator-page.css%00.js',
  '/assets/%00',
  '/assets/operator-page.css/..',
  '/assets/./operator-page.css',
  '/assets//operator-page.css',
  '/assets/..',
  '/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/assets/..%2f..%2fsrc%2fconfig.ts',
  '/assets/operator-page.css;/../../package.json',
  '/assets/\\..\\package.json',
  '/../../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '//etc/passwd',
  '/readyz/../healthz',
];

/** Path traversal, absurd and malformed request targets. */
export function pathCases(): HostileCase[] {
  const get = (name: string, target: string, expect: Status[], extra: Partial<HostileCase> = {}): HostileCase => ({
    category: 'paths',
    name,
    method: 'GET',
    target,
    expect,
    ...extra,
  });
  const raw = (name: string, method: string, target: string, expect: Status[], headers: Array<[string, string]> = [['Host', '127.0.0.1'], ['Connection', 'close']]): HostileCase => ({
    category: 'paths',
    name,
    method,
    target,
    headers,
    delivery: { kind: 'raw' },
    expect,
  });
  const text = fixtureWire('text');
  const signedPost = (name: string, target: string): HostileCase => ({
    category: 'paths',
    name,
    method: 'POST',
    target,
    headers: [JSON_TYPE, ['X-Hub-Signature-256', metaSignature(text)]],
    body: text,
    expect: [200],
    stores: 'inbox',
  });
  return [
    ...TRAVERSALS.map((target) => get(`traversal ${target}`, target, MISSING, { mustNotContain: LEAKS })),
    get('an asset name upper-cased', '/assets/OPERATOR-PAGE.CSS', [200, 404]),
    get('an asset with a traversal in its query', '/assets/operator-page.css?f=../../package.json', [200], { mustNotContain: LEAKS }),
    get('a path of 8,000 characters', `/${sized(8000)}`, [404]),
    get('a path of 20,000 characters', `/${sized(20_000)}`, [431]),
    get('a path of 200,000 characters', `/api/${sized(200_000)}`, [431, 'reset']),
    get('a query of 1,500 parameters', `/healthz?${Array.from({ length: 1500 }, (_, i) => `a${i}=1`).join('&')}`, [200]),
    get('a lone "%" under /api', '/api/%', [401]),
    get('a cut escape', '/%E0%A4%A', MISSING),
    get('"%" after the webhook path', '/webhooks/whatsapp%', MISSING),
    get('an escape that is not hex under /assets', '/assets/%ZZ', MISSING),
    get('a fragment', '/healthz#fragment', [200, 400]),
    get('an absolute-form target', 'http://evil.example/healthz', [200, 400, 404]),
    get('an absolute-form target with credentials', 'http://user:pass@evil.example:99999/api/codes', [400, 401]),
    { category: 'paths', name: 'a traversal under /twilio', method: 'POST', target: '/twilio/voice/../voice', expect: [403] },
    { category: 'paths', name: 'an escape that is not hex under /twilio', method: 'POST', target: '/twilio/%ZZ', expect: [403] },
    raw('a space in the target', 'GET', '/assets/operator page.css', [400]),
    raw('a tab in the target', 'GET', '/healthz\t', [400]),
    raw('raw bytes that are not ASCII in the target', 'GET', '/assets/\xff\xfe', [400, 404]),
    raw('a target that does not start with "/"', 'GET', 'healthz', [400]),
    raw('HTTP/1.1 without a Host header', 'GET', '/healthz', [400], [['Connection', 'close']]),
    ...[
      ['HTTP/2.0', [200, 400]],
      ['HTTP/1.2', [400]],
      ['HTTP/0.9', [200, 400]],
      ['FOO/1.1', [400]],
    ].map(([version, expect]) => ({ ...get(`${version as string} on the request line`, '/healthz', expect as Status[]), version: version as string })),
    {
      category: 'paths',
      name: 'a Twilio POST to an absolute-form target, signed for the URL it names',
      method: 'POST',
      target: 'http://evil.example/twilio/voice',
      headers: [FORM, ['X-Twilio-Signature', twilioSignature('', callParams('CAabsolute'), { url: 'http://evil.example/twilio/voice' })]],
      body: formBody(callParams('CAabsolute')),
      expect: [403],
      stores: 'call',
      call: { sid: 'CAabsolute', addsCall: true, addsCode: false },
    },
    signedPost('a signed event POSTed to an absolute-form target', 'http://evil.example/webhooks/whatsapp'),
    signedPost('a signed event POSTed to the path upper-cased', '/WEBHOOKS/WHATSAPP'),
    signedPost('a signed event POSTed with a trailing slash', '/webhooks/whatsapp/'),
    signedPost('a signed event POSTed with a query', '/webhooks/whatsapp?hub.mode=subscribe&x=%ZZ'),
  ];
}

const METHOD_ROUTES = ['/', '/login', '/logout', '/replay', '/assets/operator-page.css', '/api/codes', '/webhooks/whatsapp', '/twilio/voice', '/healthz', '/metrics', '/readyz'];
const METHODS = ['PUT', 'DELETE', 'PATCH', 'PROPFIND', 'TRACE', 'HEAD', 'OPTIONS', 'SEARCH', 'LOCK', 'FOO', 'get'];
/** Anything a route may say to a method it does not serve, short of a 5xx. */
const REFUSALS: Status[] = [200, 204, 400, 401, 403, 404, 405];

/** Every route with methods it does not expect, including ones Node does not know. */
export function methodCases(): HostileCase[] {
  const cases = METHOD_ROUTES.flatMap((target) =>
    METHODS.map((method): HostileCase => ({
      category: 'methods',
      name: `${method} ${target}`,
      method,
      target,
      expect: REFUSALS,
      ...(method === 'FOO' || method === 'get' ? { headers: [['Host', '127.0.0.1'], ['Connection', 'close']], delivery: { kind: 'raw' } } : {}),
    })),
  );
  return [...cases, { category: 'methods', name: 'CONNECT to another host', method: 'CONNECT', target: 'evil.example:443', headers: [['Host', 'evil.example:443']], delivery: { kind: 'raw' }, expect: [400, 'reset'] }];
}

/** Meta's GET subscription check with repeated, huge and odd `hub.*` parameters. */
export function challengeCases(): HostileCase[] {
  const right: Array<[string, string]> = [['hub.mode', 'subscribe'], ['hub.verify_token', META.verifyToken]];
  const check = (name: string, pairs: Array<[string, string]>, expect: Status[], expectBody?: string): HostileCase => ({
    category: 'challenge',
    name,
    method: 'GET',
    target: `/webhooks/whatsapp?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`,
    expect,
    expectBody,
  });
  const withChallenge = (challenge: string): Array<[string, string]> => [...right, ['hub.challenge', challenge]];
  return [
    check('the right check', withChallenge('1158201444'), [200], '1158201444'),
    check('hub.challenge twice', [...withChallenge('1'), ['hub.challenge', '2']], [400]),
    check('hub.verify_token twice, both right', [...withChallenge('1'), ['hub.verify_token', META.verifyToken]], [400]),
    check('hub.mode twice', [...withChallenge('1'), ['hub.mode', 'subscribe']], [400]),
    check('a challenge of 8 KB', withChallenge(sized(8000, '7')), [200], sized(8000, '7')),
    check('a challenge of 20 KB', withChallenge(sized(20_000, '7')), [431]),
    check('a wrong verify token of 8 KB', [['hub.mode', 'subscribe'], ['hub.verify_token', sized(8000)], ['hub.challenge', '1']], [403]),
    check('hub.mode upper-cased', [['hub.mode', 'SUBSCRIBE'], ['hub.verify_token', META.verifyToken], ['hub.challenge', '1']], [400]),
    check('an empty challenge', withChallenge(''), [200], ''),
    check('a challenge of CRLF and <script>', withChallenge('%0D%0ASet-Cookie:%20x=1%0D%0A%3Cscript%3E'), [200], '\r\nSet-Cookie: x=1\r\n<script>'),
    // Decoded as far as it decodes (an incomplete UTF-8 sequence becomes U+FFFD), as Meta's would be.
    check('a challenge with invalid percent-encoding', withChallenge('%ZZ%E0%A4%A'), [200], '%ZZ\uFFFD%A'),
    check('a challenge with "+" and "%2B"', withChallenge('1+2%2B3'), [200], '1 2+3'),
    check('hub.challenge[] as an array name', [...right, ['hub.challenge[]', '1']], [400]),
    check('hub[challenge] as an object name', [...right, ['hub[challenge]', '1']], [400]),
    check('the token with a NUL appended', [['hub.mode', 'subscribe'], ['hub.verify_token', `${META.verifyToken}%00`], ['hub.challenge', '1']], [403]),
    check('the token with a space appended', [['hub.mode', 'subscribe'], ['hub.verify_token', `${META.verifyToken}%20`], ['hub.challenge', '1']], [403]),
    check('the token upper-cased', [['hub.mode', 'subscribe'], ['hub.verify_token', META.verifyToken.toUpperCase()], ['hub.challenge', '1']], [403]),
    check('no parameters', [], [400]),
    check('ampersands only', [['&&&&', '']], [400]),
    check('1,000 other parameters first', [...Array.from({ length: 1000 }, (_, i): [string, string] => [`p${i}`, 'x']), ...withChallenge('1')], [200, 400]),
    check('the verify token missing', [['hub.mode', 'subscribe'], ['hub.challenge', '1']], [400]),
    { ...check('the right check as HEAD', withChallenge('1'), [200]), method: 'HEAD' },
  ];
}
