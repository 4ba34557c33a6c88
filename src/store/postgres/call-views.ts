import type { CallStore, CallView, CodeView } from '../call-store';
import { toCallView, toCodeView, type CallRow, type CodeRow, type DeliveryRow } from '../rows';
import type { Database } from './pool';

type ViewsPart = Pick<CallStore, 'listCodes' | 'latestCall'>;

const DELIVERY_COLUMNS = `channel, recipient, status, attempts, last_error, sent_at`;

/** What the admin API and the operator page show of calls and codes. */
export class PostgresCallViews implements ViewsPart {
  constructor(private readonly db: Database) {}

  async listCodes(limit: number): Promise<CodeView[]> {
    const codes = await this.db.query<CodeRow>(
      `SELECT k.id, k.code, k.source, k.call_sid, k.received_at, c.from_number, c.to_number, c.rehearsal, c.forwarding
       FROM codes k JOIN calls c ON c.call_sid = k.call_sid
       ORDER BY k.received_at DESC, k.id DESC LIMIT $1`,
      [limit],
    );
    if (codes.length === 0) return [];
    const deliveries = await this.db.query<DeliveryRow & { code_id: number }>(
      `SELECT code_id, ${DELIVERY_COLUMNS} FROM deliveries WHERE code_id = ANY($1::bigint[]) ORDER BY id`,
      [codes.map((k) => k.id)],
    );
    return codes.map((k) => toCodeView(k, deliveries.filter((d) => d.code_id === k.id)));
  }

  async latestCall(): Promise<CallView | null> {
    const [call] = await this.db.query<CallRow>(
      `SELECT c.call_sid, c.from_number, c.to_number, c.started_at, c.recording_url, c.heard, c.fallback_at, c.rehearsal, c.forwarding,
              (SELECT COUNT(*) FROM codes k WHERE k.call_sid = c.call_sid) AS codes
       FROM calls c ORDER BY c.started_at DESC, c.seq DESC LIMIT 1`,
    );
    if (!call) return null;
    const notices = await this.db.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE kind = 'missed-call' AND call_sid = $1 ORDER BY id`,
      [call.call_sid],
    );
    return toCallView(call, notices);
  }
}
