import { createHmac } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Request, Response } from 'express';
import { AdminSessions, cookieValue, SESSION_TTL_MS } from '../../src/page/admin-sessions';
import { openSqliteStores } from '../../src/store/sqlite/open';
import type { Stores } from '../../src/store/stores';
import { DATABASE_FILE } from '../../src/store/sqlite/database';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const T0 = new Date('2025-03-01T09:00:00.000Z');
const HOUR = 3_600_000;

let dir: string;
let stores: Stores;
let now: Date;
const clock = { now: () => now };

beforeEach(() => {
  dir = makeTempDir();
  stores = openSqliteStores(dir);
  now = T0;
});
afterEach(async () => {
  await stores.close();
  removeTempDir(dir);
});

const ADMIN_TOKEN = 'admin-token-for-sessions-0123';

function sessions(options: { secure?: boolean; ttlMs?: number; adminToken?: string } = {}): AdminSessions {
  return new AdminSessions({
    store: stores.sessions,
    adminToken: options.adminToken ?? ADMIN_TOKEN,
    clock,
    secure: options.secure ?? false,
    ttlMs: options.ttlMs,
  });
}

/** A response that keeps the headers set on it. */
function fakeResponse() {
  const headers = new Map<string, unknown>();
  const res = {
    setHeader(name: string, value: unknown) {
      headers.set(name.toLowerCase(), value);
      return res;
    },
  };
  return {
    res: res as unknown as Response,
    setCookie(): string {
      const value = headers.get('set-cookie');
      if (typeof value !== 'string') throw new Error(`expected one Set-Cookie string, got ${String(value)}`);
      return value;
    },
  };
}

/** A request carrying `cookie` as its Cookie header (none when undefined). */
function requestWith(cookie?: string): Request {
  const req = { header: (name: string) => (name.toLowerCase() === 'cookie' ? cookie : undefined) };
  return req as unknown as Request;
}

interface SetCookie {
  name: string;
  value: string;
  attributes: string[];
}

function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...attributes] = header.split('; ');
  const at = pair.indexOf('=');
  return { name: pair.slice(0, at), value: pair.slice(at + 1), attributes };
}

/** Opens a session; returns its Set-Cookie parsed and the Cookie header a browser would send back. */
async function signIn(s: AdminSessions): Promise<SetCookie & { cookie: string }> {
  const { res, setCookie } = fakeResponse();
  await s.open(res);
  const parsed = parseSetCookie(setCookie());
  return { ...parsed, cookie: `${parsed.name}=${parsed.value}` };
}

const keyedHash = (text: string) => createHmac('sha256', ADMIN_TOKEN).update(text).digest('hex');

/** The admin_sessions rows, read from the file with a connection of its own. */
function storedSessions(): Array<{ token_hash: string; created_at: number; expires_at: number }> {
  const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare('SELECT token_hash, created_at, expires_at FROM admin_sessions ORDER BY created_at').all() as Array<{
      token_hash: string;
      created_at: number;
      expires_at: number;
    }>;
  } finally {
    db.close();
  }
}

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, for the whole site, and lasts 12 hours', async () => {
    const { name, value, attributes } = await signIn(sessions());
    expect(name).toBe('wa_onboard_session');
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(['Path=/', 'Max-Age=43200', 'HttpOnly', 'SameSite=Strict']);
    expect(SESSION_TTL_MS / 1000).toBe(43_200);
  });

  it('over https is named __Host-wa_onboard_session and marked Secure', async () => {
    const { name, attributes } = await signIn(sessions({ secure: true }));
    expect(name).toBe('__Host-wa_onboard_session');
    expect(attributes).toEqual(['Path=/', 'Max-Age=43200', 'HttpOnly', 'SameSite=Strict', 'Secure']);
    expect(attributes.some((a) => a.startsWith('Domain='))).toBe(false);
  });

  it('over http is neither __Host- prefixed nor Secure', async () => {
    const s = sessions({ secure: false });
    const { name, attributes } = await signIn(s);
    expect(s.cookieName).toBe('wa_onboard_session');
    expect(name).not.toMatch(/^__Host-/);
    expect(attributes).not.toContain('Secure');
  });

  it('lasts ttlMs when given, in whole seconds', async () => {
    const { attributes } = await signIn(sessions({ ttlMs: 90_500 }));
    expect(attributes).toContain('Max-Age=90');
  });

  it('is a new random value for each session', async () => {
    const s = sessions();
    const first = await signIn(s);
    const second = await signIn(s);
    expect(first.value).not.toBe(second.value);
  });
});

describe('isSignedIn', () => {
  it('accepts the cookie set by open()', async () => {
    const s = sessions();
    const { cookie } = await signIn(s);
    expect(await s.isSignedIn(requestWith(cookie))).toBe(true);
    expect(await s.isSignedIn(requestWith(`theme=dark; ${cookie}; lang=en`))).toBe(true);
  });

  it('accepts the __Host- cookie over https', async () => {
    const s = sessions({ secure: true });
    const { cookie } = await signIn(s);
    expect(await s.isSignedIn(requestWith(cookie))).toBe(true);
  });

  it('refuses a made-up cookie', async () => {
    const s = sessions();
    await signIn(s);
    expect(await s.isSignedIn(requestWith(`wa_onboard_session=${'A'.repeat(43)}`))).toBe(false);
  });

  it('refuses a request without the cookie', async () => {
    const s = sessions();
    await signIn(s);
    expect(await s.isSignedIn(requestWith())).toBe(false);
    expect(await s.isSignedIn(requestWith('theme=dark'))).toBe(false);
    expect(await s.isSignedIn(requestWith('wa_onboard_session='))).toBe(false);
  });

  it('refuses the value of an open session sent under the other cookie name', async () => {
    const s = sessions({ secure: true });
    const { value } = await signIn(s);
    expect(await s.isSignedIn(requestWith(`wa_onboard_session=${value}`))).toBe(false);
  });

  it('refuses the cookie once the session has expired', async () => {
    const s = sessions();
    const { cookie } = await signIn(s);
    now = new Date(T0.getTime() + SESSION_TTL_MS - 1);
    expect(await s.isSignedIn(requestWith(cookie))).toBe(true);
    now = new Date(T0.getTime() + SESSION_TTL_MS);
    expect(await s.isSignedIn(requestWith(cookie))).toBe(false);
  });

  it('expires after ttlMs when given', async () => {
    const s = sessions({ ttlMs: HOUR });
    const { cookie } = await signIn(s);
    now = new Date(T0.getTime() + HOUR + 1);
    expect(await s.isSignedIn(requestWith(cookie))).toBe(false);
  });
});

describe('close', () => {
  it('ends the session: its cookie no longer signs in', async () => {
    const s = sessions();
    const { cookie } = await signIn(s);
    await s.close(requestWith(cookie), fakeResponse().res);
    expect(await s.isSignedIn(requestWith(cookie))).toBe(false);
    expect(storedSessions()).toEqual([]);
  });

  it('clears the cookie with an empty value and Max-Age=0', async () => {
    const s = sessions({ secure: true });
    const { cookie } = await signIn(s);
    const { res, setCookie } = fakeResponse();
    await s.close(requestWith(cookie), res);
    expect(setCookie()).toBe('__Host-wa_onboard_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure');
  });

  it('leaves the other open sessions alone', async () => {
    const s = sessions();
    const mine = await signIn(s);
    const other = await signIn(s);
    await s.close(requestWith(mine.cookie), fakeResponse().res);
    expect(await s.isSignedIn(requestWith(other.cookie))).toBe(true);
  });

  it('still clears the cookie of a request that has none', async () => {
    const s = sessions();
    const { res, setCookie } = fakeResponse();
    await s.close(requestWith(), res);
    expect(setCookie()).toBe('wa_onboard_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
  });
});

describe('what is stored', () => {
  it('ends every session when the admin token changes', async () => {
    const { value } = await signIn(sessions());
    const rotated = sessions({ adminToken: 'a-new-admin-token-after-rotation' });
    expect(await rotated.isSignedIn(requestWith(`wa_onboard_session=${value}`))).toBe(false);
    expect(await sessions().isSignedIn(requestWith(`wa_onboard_session=${value}`))).toBe(true);
  });

  it('is an HMAC of the cookie value keyed with the admin token, never the value itself', async () => {
    const { value } = await signIn(sessions());
    const rows = storedSessions();
    expect(rows).toEqual([{ token_hash: keyedHash(value), created_at: T0.getTime(), expires_at: T0.getTime() + SESSION_TTL_MS }]);
    expect(JSON.stringify(rows)).not.toContain(value);
  });

  it('forgets the expired sessions when a session is opened', async () => {
    const s = sessions();
    const expired = await signIn(s);
    now = new Date(T0.getTime() + 6 * HOUR);
    const current = await signIn(s);
    now = new Date(T0.getTime() + 13 * HOUR);
    const newest = await signIn(s);

    expect(storedSessions().map((r) => r.token_hash)).toEqual([keyedHash(current.value), keyedHash(newest.value)]);
    expect(storedSessions().map((r) => r.token_hash)).not.toContain(keyedHash(expired.value));
  });
});

describe('cookieValue', () => {
  it('finds a cookie among several', () => {
    expect(cookieValue('theme=dark; session=abc; lang=en', 'session')).toBe('abc');
  });

  it('ignores spaces around names and values', () => {
    expect(cookieValue('theme=dark;   session =  abc  ;lang=en', 'session')).toBe('abc');
  });

  it('returns the first of two cookies with the same name', () => {
    expect(cookieValue('session=first; session=second', 'session')).toBe('first');
  });

  it('keeps an = inside the value', () => {
    expect(cookieValue('session=a=b==', 'session')).toBe('a=b==');
  });

  it('is null when the cookie is missing or there is no header', () => {
    expect(cookieValue('theme=dark', 'session')).toBeNull();
    expect(cookieValue('', 'session')).toBeNull();
    expect(cookieValue(undefined, 'session')).toBeNull();
  });

  it('is null for an empty value', () => {
    expect(cookieValue('session=; theme=dark', 'session')).toBeNull();
    expect(cookieValue('session=   ', 'session')).toBeNull();
  });

  it('does not match a cookie whose name merely ends or starts with the name', () => {
    expect(cookieValue('__Host-wa_onboard_session=abc', 'wa_onboard_session')).toBeNull();
    expect(cookieValue('wa_onboard_session_old=abc', 'wa_onboard_session')).toBeNull();
    expect(cookieValue('xsession=abc; session=mine', 'session')).toBe('mine');
  });

  it('ignores a part with no name', () => {
    expect(cookieValue('=abc; session', 'session')).toBeNull();
  });
});
