/**
 * What a signed POST may hold before it is recorded as a problem rather than expanded into events.
 * Both limits sit far above anything Meta sends, and far below what would stall the process: the
 * dispatcher turns a POST into events, and stores them, in one synchronous stretch on the thread
 * that also answers Twilio's 15-second calls.
 */

/**
 * Meta batches at most 1000 updates in one POST, and may give each its own entry and change: 3000
 * counted here. Each entry, change, message, status and error becomes at most one event. 200,000
 * unreadable entries in one 600 KB body stalled the thread for 10 s before this limit.
 */
export const MAX_UPDATES_PER_POST = 5_000;

/**
 * Meta's payloads nest about 10 levels. JSON.parse reads any depth, but JSON.stringify (our
 * hashes, and the store that keeps each event as JSON) overflows the stack a few thousand levels
 * down: deeper bodies are a problem to record, not events that throw later.
 */
export const MAX_NESTING = 100;

/** Why `parsed` (from `text`) is past a limit, or null when it is within both. */
export function payloadLimitProblem(text: string, parsed: unknown): string | null {
  if (nestingDepth(text) > MAX_NESTING) return `nested more than ${MAX_NESTING} levels deep`;
  const updates = countUpdates(parsed);
  if (updates > MAX_UPDATES_PER_POST) {
    return `holds more than ${MAX_UPDATES_PER_POST} entries, changes and items; Meta sends at most 1000 updates in one POST`;
  }
  return null;
}

/** How deeply arrays and objects nest in valid JSON text (brackets inside strings do not count). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

const ITEM_LISTS = ['messages', 'statuses', 'errors'] as const;

/** Entries, changes and the items of each change's value: what could each become an event. */
function countUpdates(parsed: unknown): number {
  const entries = listOf(parsed, 'entry');
  let count = entries.length;
  for (const entry of entries) {
    const changes = listOf(entry, 'changes');
    count += changes.length;
    for (const change of changes) {
      const value = (change as { value?: unknown } | null)?.value;
      for (const list of ITEM_LISTS) count += listOf(value, list).length;
    }
    if (count > MAX_UPDATES_PER_POST) return count; // no need to walk the rest of a huge body
  }
  return count;
}

function listOf(holder: unknown, key: string): unknown[] {
  if (typeof holder !== 'object' || holder === null) return [];
  const list = (holder as Record<string, unknown>)[key];
  return Array.isArray(list) ? list : [];
}
