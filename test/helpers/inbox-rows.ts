import { readStore, type StoreLocation } from './store-reader';

export interface InboxRow {
  body: Buffer;
  state: string;
  problem: string | null;
  signed_with: string;
  signature: string | null;
}

/** The webhook POSTs stored in the service's database, read directly (not through the service). */
export function inboxRows(where: StoreLocation): Promise<InboxRow[]> {
  return readStore(where, (rows) => rows<InboxRow>(`SELECT body, state, problem, signed_with, signature FROM webhook_inbox ORDER BY id`));
}
