import { readStore, type StoreLocation } from './store-reader';

export interface InboxRow {
  body: Buffer;
  state: string;
  problem: string | null;
  signed_with: string;
  signature: string | null;
  rehearsal: boolean;
}

/** The webhook POSTs stored in the service's database, read directly (not through the service). */
export function inboxRows(where: StoreLocation): Promise<InboxRow[]> {
  return readStore(where, async (rows) => {
    // SQLite keeps the flag as 0 or 1, PostgreSQL as a boolean.
    const read = await rows<Omit<InboxRow, 'rehearsal'> & { rehearsal: number | boolean }>(
      `SELECT body, state, problem, signed_with, signature, rehearsal FROM webhook_inbox ORDER BY id`,
    );
    return read.map((r) => ({ ...r, rehearsal: Boolean(r.rehearsal) }));
  });
}
