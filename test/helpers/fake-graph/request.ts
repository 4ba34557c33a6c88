import crypto from 'node:crypto';
import type http from 'node:http';
import { fail } from './errors';

/** Form bodies carry objects and arrays as JSON text, which Graph accepts; so does the fake. */
export function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // answered below, as Meta does for a body it cannot read
    }
    return fail(100, '(#100) Invalid JSON for postcard body');
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

export function tokenOf(headers: http.IncomingHttpHeaders, query: Record<string, string>, body: Record<string, unknown>): string | null {
  const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '');
  if (bearer?.[1]) return bearer[1];
  if (typeof body.access_token === 'string') return body.access_token;
  return query.access_token ?? null;
}

export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}
