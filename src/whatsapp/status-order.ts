/**
 * Meta does not deliver statuses in order: a `delivered` can arrive after the `read` of the same
 * message. A status replaces the message's latest one only when it is further along, or as far
 * along and newer. `failed` ranks with `delivered`: it can follow `sent`, never `read`.
 * https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components#statuses-object
 */
const PROGRESS: Record<string, number> = { sent: 1, delivered: 2, failed: 2, read: 3, played: 4 };

export interface StatusMark {
  status: string;
  /** ISO 8601, or null when Meta gave none. */
  timestamp: string | null;
}

/** True when `incoming` becomes the message's latest status in place of `current`. */
export function advancesStatus(incoming: StatusMark, current: StatusMark | null): boolean {
  if (!current) return true;
  // A status we do not know (rank 0) never replaces one we do.
  const rankIn = PROGRESS[incoming.status] ?? 0;
  const rankNow = PROGRESS[current.status] ?? 0;
  if (rankIn !== rankNow) return rankIn > rankNow;
  return (incoming.timestamp ?? '') > (current.timestamp ?? '');
}
