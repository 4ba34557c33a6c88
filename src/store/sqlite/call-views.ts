import type Database from 'better-sqlite3';
import type { SyncOf } from './async-of';
import { toCallView, toCodeView, type CallRow, type CodeRow, type DeliveryRow } from '../rows';
import type { CallView, CodeView, CallStore } from '../call-store';

type ViewsPart = Pick<CallStore, 'listCodes' | 'latestCall'>;

/** What the admin API and the operator page show of calls and codes. */
export class SqliteCallViews implements SyncOf<ViewsPart> {
  constructor(private readonly db: Database.Database) {}

  listCodes(limit: number): CodeView[] {
    const codes = this.db
      .prepare(
        `SELECT k.id, k.code, k.source, k.call_sid, k.received_at, c.from_number, c.to_number, c.rehearsal, c.forwarding
         FROM codes k JOIN calls c ON c.call_sid = k.call_sid
         ORDER BY k.received_at DESC, k.id DESC LIMIT ?`,
      )
      .all(limit) as CodeRow[];
    const deliveries = this.db.prepare(
      `SELECT channel, recipient, status, attempts, last_error, sent_at FROM deliveries WHERE code_id = ? ORDER BY id`,
    );
    return codes.map((k) => toCodeView(k, deliveries.all(k.id) as DeliveryRow[]));
  }

  latestCall(): CallView | null {
    const call = this.db
      .prepare(
        `SELECT c.call_sid, c.from_number, c.to_number, c.started_at, c.recording_url, c.heard, c.fallback_at, c.rehearsal, c.forwarding,
                (SELECT COUNT(*) FROM codes k WHERE k.call_sid = c.call_sid) AS codes
         FROM calls c ORDER BY c.started_at DESC, c.rowid DESC LIMIT 1`,
      )
      .get() as CallRow | undefined;
    if (!call) return null;
    const notices = this.db
      .prepare(
        `SELECT channel, recipient, status, attempts, last_error, sent_at FROM deliveries
         WHERE kind = 'missed-call' AND call_sid = ? ORDER BY id`,
      )
      .all(call.call_sid) as DeliveryRow[];
    return toCallView(call, notices);
  }
}
