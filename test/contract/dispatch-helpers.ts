import type { DispatchOutcome, InboxItem, InboxRecord, KnownState, WebhookStore } from '../../src/store/webhook-store';
import { dispatchLookups, planDispatch } from '../../src/whatsapp/dispatch-plan';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { readPost } from '../../src/whatsapp/read-post';

/** An authentic POST as the intake stores it: Meta's, or with `rehearsal` one our own commands marked. */
export function inboxRecord(body: Buffer, receivedAt: Date, options: { rehearsal?: boolean } = {}): InboxRecord {
  return { receivedAt, body, contentType: 'application/json', signature: 'sha256=' + '0'.repeat(64), signedWith: 'current', rehearsal: options.rehearsal ?? false };
}

/** What the dispatcher makes of stored POSTs (src/whatsapp/dispatcher.ts): each one's events, or why it has none. */
export function readPosts(items: InboxItem[]): DispatchOutcome[] {
  return items.map(readPost);
}

/** One dispatch, with what the store handed to the domain on the way: the POSTs it read and what it knew. */
export interface Dispatched {
  posts: number;
  created: WhatsAppEvent[];
  duplicates: number;
  invalid: number;
  /** The stored POSTs the store read, in the order it gave them. */
  items: InboxItem[];
  /** What the store knew of the events' keys and the messages' statuses (null when no POST was waiting). */
  known: KnownState | null;
}

/** One `dispatchInbox`, wired as the dispatcher wires it, owing every new event to `targets`. */
export async function dispatchOnce(webhooks: WebhookStore, options: { targets: string[]; now: Date; limit?: number }): Promise<Dispatched> {
  let items: InboxItem[] = [];
  let known: KnownState | null = null;
  const result = await webhooks.dispatchInbox(options.limit ?? 1_000, {
    read: (read) => {
      items = read;
      return readPosts(read);
    },
    lookups: dispatchLookups,
    plan: (outcomes, state) => {
      known = state;
      return planDispatch(outcomes, state, options.targets, options.now);
    },
  });
  const { plan } = result;
  return { posts: result.posts, created: plan?.created ?? [], duplicates: plan?.duplicates ?? 0, invalid: plan?.invalid ?? 0, items, known };
}

/** Stores the POSTs as received at `receivedAt` (in one transaction, as the intake does) and dispatches them then. */
export async function receive(
  webhooks: WebhookStore,
  bodies: Buffer[],
  options: { targets: string[]; receivedAt: Date },
): Promise<Dispatched> {
  await webhooks.appendToInbox(bodies.map((body) => inboxRecord(body, options.receivedAt)));
  return dispatchOnce(webhooks, { targets: options.targets, now: options.receivedAt });
}
