import { createHash } from 'node:crypto';

/**
 * A forward target as it is recorded (in the store, and as the key of its sink): the URL without
 * the user and password it may carry, so rotating a password keeps the backlog and the database
 * holds no password. Not for showing: its path and query may still be a secret (see targetName).
 */
export function recordedTarget(target: string): string {
  try {
    const url = new URL(target);
    if (!url.username && !url.password) return target;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    // Not a URL `URL` can read, yet it may still hold `user:password@`: cut that out by hand.
    return target.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  }
}

/**
 * A forward target as everything outside the store names it: metrics labels, logs, `/api/webhook`
 * and the operator page. Its origin, then `/…[id]` when the URL went on: a webhook URL's path or
 * query is often its only secret (Slack's `/services/T0/B0/SECRET`, `?token=...`), and `id` (six
 * hex digits of the SHA-256 of the recorded target) keeps two targets on one origin apart, the
 * same on every instance and across restarts and password rotations. Credentials never show.
 *
 * Six hex digits are 24 bits: any secret longer than that is not narrowed down by them (millions
 * of paths share each id), and one that short was never a secret.
 */
export function targetName(target: string): string {
  const recorded = recordedTarget(target);
  const { origin, cut } = originOf(recorded);
  return cut ? `${origin}/…[${createHash('sha256').update(recorded).digest('hex').slice(0, 6)}]` : origin;
}

function originOf(target: string): { origin: string; cut: boolean } {
  try {
    const url = new URL(target);
    return { origin: `${url.protocol}//${url.host}`, cut: url.pathname !== '/' || url.search !== '' };
  } catch {
    // Not a URL `URL` can read (a port out of range, `in-process`): keep the scheme and the host,
    // found by hand, and drop the rest, `user:password@` included.
    const [, scheme = '', host = '', rest = ''] = /^([a-z][a-z0-9+.-]*:\/\/)?(?:[^/?#]*@)?([^/?#]*)(.*)$/is.exec(target) ?? [];
    return { origin: `${scheme}${host}`, cut: rest !== '' && rest !== '/' };
  }
}
