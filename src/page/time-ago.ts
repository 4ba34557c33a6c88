/**
 * "just now", "42 s ago", "5 min ago", "3 h ago", "2 days ago": how long ago `iso` was at `now`.
 * assets/operator-page.js keeps the same words ticking in the browser; keep the two alike.
 */
export function timeAgo(iso: string, now: Date): string {
  const seconds = Math.floor((now.getTime() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds) || seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}
