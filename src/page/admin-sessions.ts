import { createHmac, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../delivery/ports';
import type { SessionStore } from '../store/session-store';

/** How long a sign-in lasts: a working day of onboarding. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;

export interface AdminSessionsOptions {
  store: SessionStore;
  /** Keys the stored hash of each cookie: a new admin token ends every session. */
  adminToken: string;
  clock: Clock;
  /** True when PUBLIC_URL is https: the cookie is then Secure and `__Host-` prefixed. */
  secure: boolean;
  ttlMs?: number;
}

/**
 * The operator page's sign-ins: a random cookie, HttpOnly and SameSite=Strict, of which only an
 * HMAC keyed with the admin token is stored: a copy of the database opens no session, and a new
 * admin token ends them all. `__Host-` (over https) binds the cookie to this exact origin, on
 * every path, with no Domain.
 */
export class AdminSessions {
  readonly cookieName: string;
  private readonly ttlMs: number;

  constructor(private readonly options: AdminSessionsOptions) {
    this.cookieName = options.secure ? '__Host-wa_onboard_session' : 'wa_onboard_session';
    this.ttlMs = options.ttlMs ?? SESSION_TTL_MS;
  }

  /** Opens a session and sets its cookie on `res`. */
  async open(res: Response): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    const now = this.options.clock.now();
    await this.options.store.openSession(this.hashOf(token), now, new Date(now.getTime() + this.ttlMs));
    res.setHeader('Set-Cookie', this.cookie(token, Math.floor(this.ttlMs / 1000)));
  }

  /** True when `req` carries the cookie of an open session. */
  async isSignedIn(req: Request): Promise<boolean> {
    const token = cookieValue(req.header('cookie'), this.cookieName);
    if (!token) return false;
    return this.options.store.isSessionOpen(this.hashOf(token), this.options.clock.now());
  }

  /** Ends the session of `req`, if any, and clears its cookie. */
  async close(req: Request, res: Response): Promise<void> {
    const token = cookieValue(req.header('cookie'), this.cookieName);
    if (token) await this.options.store.closeSession(this.hashOf(token));
    res.setHeader('Set-Cookie', this.cookie('', 0));
  }

  private hashOf(token: string): string {
    return createHmac('sha256', this.options.adminToken).update(token).digest('hex');
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    const attributes = [`${this.cookieName}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict'];
    if (this.options.secure) attributes.push('Secure');
    return attributes.join('; ');
  }
}


/** The value of cookie `name` in a Cookie header; the first wins, as browsers send the most specific first. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim() || null;
  }
  return null;
}
