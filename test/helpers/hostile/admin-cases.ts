import { ADMIN_TOKEN, PUBLIC_URL } from '../harness';
import { FORM, formBody, sized, type HostileCase, type Status } from './case';

/** A wrong admin token waits (the login throttle), or is turned away when three already wait. */
export const WRONG_TOKEN: Status[] = [401, 429];
const SESSION = '__Host-wa_onboard_session'; // PUBLIC_URL is https

const API_PATHS = ['/api/codes', '/api/webhook', '/api/events?limit=5', '/api/live', '/api/no-such-thing', '/api/events?limit=-1'];

const API_CREDENTIALS: Array<[string, Array<[string, string]>, Status[]]> = [
  ['no credentials', [], [401]],
  ['"Bearer" and no token', [['Authorization', 'Bearer']], WRONG_TOKEN],
  ['a wrong bearer token', [['Authorization', 'Bearer wrong']], WRONG_TOKEN],
  ['the token with one character more', [['Authorization', `Bearer ${ADMIN_TOKEN}x`]], WRONG_TOKEN],
  ['the token upper-cased', [['Authorization', `Bearer ${ADMIN_TOKEN.toUpperCase()}`]], WRONG_TOKEN],
  ['the token as Basic credentials', [['Authorization', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`]], WRONG_TOKEN],
  ['the token and a second word', [['Authorization', `Bearer ${ADMIN_TOKEN} extra`]], WRONG_TOKEN],
  ['a bearer token of 8,000 characters', [['Authorization', `Bearer ${sized(8000)}`]], WRONG_TOKEN],
  ['bytes that are not UTF-8 in the token', [['Authorization', 'Bearer \xff\xfe\xc0\xaf']], WRONG_TOKEN],
  ['"Token" instead of "Bearer"', [['Authorization', `Token ${ADMIN_TOKEN}`]], WRONG_TOKEN],
  ['a wrong Authorization, then the right one', [['Authorization', 'Bearer wrong'], ['Authorization', `Bearer ${ADMIN_TOKEN}`]], WRONG_TOKEN],
  ['a made-up session cookie', [['Cookie', `${SESSION}=${'A'.repeat(43)}`]], [401]],
  ['the session cookie without its __Host- prefix', [['Cookie', `wa_onboard_session=${'A'.repeat(43)}`]], [401]],
  ['an empty session cookie', [['Cookie', `${SESSION}=`]], [401]],
  ['a cookie of 8,000 characters', [['Cookie', `${SESSION}=${sized(8000)}`]], [401]],
  ['500 cookies', [['Cookie', Array.from({ length: 500 }, (_, i) => `c${i}=${i}`).join('; ')]], [401]],
  ['a cookie of separators only', [['Cookie', ';;;;===;; ;=']], [401]],
  ['the session cookie twice', [['Cookie', `${SESSION}=a; ${SESSION}=b`], ['Cookie', `${SESSION}=c`]], [401]],
];

/** `/api/*` with every wrong credential: never a 2xx, never a 5xx. */
export function adminApiCases(): HostileCase[] {
  return API_PATHS.flatMap((target) =>
    API_CREDENTIALS.map(([name, headers, expect]) => ({ category: 'admin api' as const, name: `${target}: ${name}`, method: 'GET', target, headers, expect })),
  );
}

/** Sign-in, sign-out and Replay: wrong and huge tokens, bodies it does not parse, forms from other sites. */
export function loginCases(): HostileCase[] {
  const login = (name: string, body: Buffer | string, headers: Array<[string, string]>, expect: Status[], extra: Partial<HostileCase> = {}): HostileCase => ({
    category: 'login',
    name,
    method: 'POST',
    target: '/login',
    headers,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    expect,
    ...extra,
  });
  const right = formBody({ token: ADMIN_TOKEN });
  const logout = (name: string, headers: Array<[string, string]>, expect: Status[]): HostileCase => ({ category: 'login', name: `logout: ${name}`, method: 'POST', target: '/logout', headers, expect });
  // The page's Replay form, naming an address of the sender's choosing: refused before it is read.
  const replay = (name: string, headers: Array<[string, string]>, expect: Status[]): HostileCase => ({
    category: 'login',
    name: `replay: ${name}`,
    method: 'POST',
    target: '/replay',
    headers: [FORM, ...headers],
    body: formBody({ target: 'https://evil.example/hook' }),
    expect,
  });
  return [
    login('a wrong token', formBody({ token: 'wrong' }), [FORM], WRONG_TOKEN),
    login('an empty token', formBody({ token: '' }), [FORM], WRONG_TOKEN),
    login('a token of spaces', formBody({ token: '     ' }), [FORM], WRONG_TOKEN),
    login('a token of 3,900 characters', formBody({ token: sized(3900) }), [FORM], WRONG_TOKEN),
    login('a token over the 4 KB limit', formBody({ token: sized(5000) }), [FORM], [413]),
    login('a token of 1 MB, chunked', formBody({ token: sized(1024 * 1024) }), [FORM], [413], { delivery: { kind: 'chunked' } }),
    login('the token field twice', 'token=a&token=b', [FORM], WRONG_TOKEN),
    login('token[] as an array name', `token[]=${ADMIN_TOKEN}`, [FORM], WRONG_TOKEN),
    login('the right token as JSON', JSON.stringify({ token: ADMIN_TOKEN }), [['Content-Type', 'application/json']], WRONG_TOKEN),
    login('the right token as multipart', `--b\r\nContent-Disposition: form-data; name="token"\r\n\r\n${ADMIN_TOKEN}\r\n--b--\r\n`, [['Content-Type', 'multipart/form-data; boundary=b']], WRONG_TOKEN),
    login('the right token with no Content-Type', right, [], WRONG_TOKEN),
    login('invalid percent-encoding in the token', 'token=%FF%FE%E0%A4%A', [FORM], WRONG_TOKEN),
    login('raw bytes that are not UTF-8', Buffer.concat([Buffer.from('token='), Buffer.from([0xff, 0xfe, 0xc0, 0xaf])]), [FORM], WRONG_TOKEN),
    login('a form in UTF-16', right, [['Content-Type', 'application/x-www-form-urlencoded; charset=utf-16']], [415]),
    login('the right token from another site (Sec-Fetch-Site)', right, [FORM, ['Sec-Fetch-Site', 'cross-site']], [403]),
    login('the right token from a sibling site', right, [FORM, ['Sec-Fetch-Site', 'same-site']], [403]),
    login('the right token with a foreign Origin', right, [FORM, ['Origin', 'https://evil.example']], [403]),
    login('the right token with Origin: null', right, [FORM, ['Origin', 'null']], [403]),
    login('the right token with an Origin that extends ours', right, [FORM, ['Origin', `${PUBLIC_URL}.evil.example`]], [403]),
    login('a wrong token with our own Origin', formBody({ token: 'wrong' }), [FORM, ['Origin', PUBLIC_URL]], WRONG_TOKEN),
    logout('from another site', [['Sec-Fetch-Site', 'cross-site']], [403]),
    logout('with a foreign Origin', [['Origin', 'https://evil.example']], [403]),
    logout('with no cookie', [], [303]),
    logout('with a made-up session cookie', [['Cookie', `${SESSION}=made-up`]], [303]),
    logout('with a cookie of 8,000 characters', [['Cookie', `${SESSION}=${sized(8000)}`]], [303]),
    replay('from another site', [['Sec-Fetch-Site', 'cross-site']], [403]),
    replay('with a foreign Origin', [['Origin', 'https://evil.example']], [403]),
    replay('with no cookie', [], [401]),
    replay('with a made-up session cookie', [['Cookie', `${SESSION}=made-up`]], [401]),
    { category: 'login', name: 'GET /login', method: 'GET', target: '/login', expect: [404] },
  ];
}
