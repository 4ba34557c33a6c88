import type { Config } from './config';
import type { Recipient } from './store/call-store';

/** Every (channel, address) the team asked for, each once. */
export function recipientsOf(notify: Config['notify']): Recipient[] {
  return [
    ...[...new Set(notify.emailTo)].map((to) => ({ channel: 'email' as const, to })),
    ...[...new Set(notify.smsTo)].map((to) => ({ channel: 'sms' as const, to })),
  ];
}
