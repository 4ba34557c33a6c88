import { isIP } from 'node:net';

/**
 * Whether `hostname` (as `URL` gives it: lower case, IPv6 in brackets) names this machine: an
 * address in 127.0.0.0/8, `::1`, or `localhost`. The host is read as an IP address, never by its
 * first characters: `127.attacker.example` is a name anyone can register, not loopback.
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost') return true;
  const address = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  switch (isIP(address)) {
    case 4:
      return address.split('.')[0] === '127';
    case 6:
      // `URL` writes every spelling of it (0:0:0:0:0:0:0:1, ::0001) as ::1.
      return address === '::1';
    default:
      return false;
  }
}

/** Whether `url` points at this machine (see `isLoopbackHost`); false for what `URL` cannot read. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}
