import { readIsoTime } from '../http/iso-time';

const UNIT_MS = { m: 60_000, h: 60 * 60_000, d: 24 * 60 * 60_000, w: 7 * 24 * 60 * 60_000 } as const;

/** `--since` as given: a duration back from now, or a time. */
export type Since = { agoMs: number } | { at: Date };

/**
 * `90m`, `36h`, `2d`, `1w` (minutes, hours, days, weeks back from now), or an ISO 8601 time as the
 * API takes it (`2026-12-01`, `2026-12-01T08:00:00Z`); null when it is neither.
 */
export function readSince(text: string): Since | null {
  const duration = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (duration) {
    const n = Number(duration[1]);
    return n > 0 ? { agoMs: n * UNIT_MS[duration[2] as keyof typeof UNIT_MS] } : null;
  }
  const at = readIsoTime(text.trim());
  return at ? { at } : null;
}

/** The time `since` names, seen at `now`. */
export function sinceAt(since: Since, now: Date): Date {
  return 'at' in since ? since.at : new Date(now.getTime() - since.agoMs);
}
