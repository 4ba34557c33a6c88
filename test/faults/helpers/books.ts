import { readStore, type ReadRows, type StoreLocation } from '../../helpers/store-reader';

/** A delivery of a code or a "no code heard" notice, as the store records it. */
export interface DeliveryRow {
  kind: 'code' | 'missed-call';
  channel: 'email' | 'sms';
  recipient: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

/**
 * What the service's database says, read the way an auditor would: from outside the processes, a
 * fresh connection per question (so no test holds a lock the service would wait on). The same SQL
 * for the SQLite file and for PostgreSQL.
 */
export class Books {
  constructor(private readonly where: StoreLocation) {}

  private ask<T>(question: (rows: ReadRows) => Promise<T>): Promise<T> {
    return readStore(this.where, question);
  }

  private async counts(sql: string): Promise<Record<string, number>> {
    const rows = await this.ask((r) => r<{ k: string; n: number }>(sql));
    return Object.fromEntries(rows.map((row) => [row.k, Number(row.n)]));
  }

  /** The wamids of every message event the store holds (one per message: events are deduplicated). */
  async storedMessageIds(): Promise<Set<string>> {
    const rows = await this.ask((r) => r<{ key: string }>(`SELECT key FROM webhook_events WHERE kind = 'message'`));
    return new Set(rows.map((row) => row.key.replace(/^message:/, '')));
  }

  /** Every event's key and lane (phone number id), in the order they were recorded: the order each lane is owed in. */
  eventsInOrder(): Promise<Array<{ key: string; lane: string | null }>> {
    return this.ask((r) => r<{ key: string; lane: string | null }>('SELECT key, phone_number_id AS lane FROM webhook_events ORDER BY id'));
  }

  /** Pending deliveries and the instance holding a live claim on each (null: none). */
  claimedDeliveries(): Promise<Array<{ channel: string; status: string; claimed_by: string | null }>> {
    return this.ask((r) => r<{ channel: string; status: string; claimed_by: string | null }>(`SELECT channel, status, claimed_by FROM deliveries WHERE kind = 'code' ORDER BY id`));
  }

  /** The wamids in the inbox's raw POSTs: what was stored before any 200. */
  async inboxMessageIds(): Promise<Set<string>> {
    const bodies = await this.ask((r) => r<{ body: Buffer }>('SELECT body FROM webhook_inbox'));
    const ids = new Set<string>();
    for (const { body } of bodies) for (const match of body.toString('utf8').matchAll(/"id":"(wamid\.[^"]+)"/g)) ids.add(match[1] ?? '');
    return ids;
  }

  /** Inbox rows by state: pending, dispatched, invalid. */
  inboxStates(): Promise<Record<string, number>> {
    return this.counts('SELECT state AS k, CAST(count(*) AS INTEGER) AS n FROM webhook_inbox GROUP BY state');
  }

  /** Forwards by status: pending, sent, rejected. */
  forwardStates(): Promise<Record<string, number>> {
    return this.counts('SELECT status AS k, CAST(count(*) AS INTEGER) AS n FROM webhook_forwards GROUP BY status');
  }

  async calls(): Promise<number> {
    return (await this.counts(`SELECT 'calls' AS k, CAST(count(*) AS INTEGER) AS n FROM calls`)).calls ?? 0;
  }

  async codes(): Promise<string[]> {
    return (await this.ask((r) => r<{ code: string }>('SELECT code FROM codes ORDER BY id'))).map((row) => row.code);
  }

  /** Every delivery, notices included (a notice is cancelled when its call's code comes). */
  deliveries(): Promise<DeliveryRow[]> {
    return this.ask((r) => r<DeliveryRow>('SELECT kind, channel, recipient, status, attempts, last_error FROM deliveries ORDER BY id'));
  }
}
