/**
 * A forward target as the operator page shows it: its origin, then `/…` when the URL went on.
 * A webhook URL's path or query is often its only secret (Slack's `/services/T0/B0/SECRET`,
 * `?token=...`), and the page is no place for it; the user and password go with the rest.
 */
export function maskedTarget(target: string): string {
  try {
    const url = new URL(target);
    const cut = url.pathname !== '/' || url.search !== '';
    return `${url.protocol}//${url.host}${cut ? '/…' : ''}`;
  } catch {
    // Not a URL `URL` can read (a port out of range, say): keep the scheme and the host, found by
    // hand, and drop the rest, `user:password@` included.
    const [, scheme = '', host = '', rest = ''] = /^([a-z][a-z0-9+.-]*:\/\/)?(?:[^/?#]*@)?([^/?#]*)(.*)$/is.exec(target) ?? [];
    return `${scheme}${host}${rest === '' || rest === '/' ? '' : '/…'}`;
  }
}
