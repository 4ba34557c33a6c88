import { createHmac, timingSafeEqual } from 'node:crypto';
import { META } from './harness';
import { readStore, type StoreLocation } from './store-reader';

export interface StoreCounts {
  inbox: number;
  calls: number;
  codes: number;
  callSids: string[];
  /** Inbox rows whose body does not match their signature under Meta's app secret. */
  unverifiedInboxRows: number[];
}

/** Read straight from the database, not through the service. */
export function storeCounts(where: StoreLocation): Promise<StoreCounts> {
  return readStore(where, async (rows) => {
    const count = async (table: string) => (await rows<{ n: number }>(`SELECT CAST(count(*) AS INTEGER) AS n FROM ${table}`))[0]?.n ?? 0;
    const inbox = await rows<{ id: number; body: Buffer; signature: string | null }>('SELECT id, body, signature FROM webhook_inbox');
    return {
      inbox: await count('webhook_inbox'),
      calls: await count('calls'),
      codes: await count('codes'),
      callSids: (await rows<{ call_sid: string }>('SELECT call_sid FROM calls')).map((r) => r.call_sid),
      unverifiedInboxRows: inbox.filter((r) => !signedByMeta(r.body, r.signature)).map((r) => Number(r.id)),
    };
  });
}

function signedByMeta(body: Buffer, signature: string | null): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', META.appSecret).update(body).digest('hex')}`);
  const given = Buffer.from((signature ?? '').toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
