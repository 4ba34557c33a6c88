import pg from 'pg';
import type { Logger } from '../../observability/logger';
import { LocalSignals, TOPICS, type Signals, type Topic } from '../signals';
import { CHANNEL } from './locks';
import { connectionConfig, type Database } from './pool';

/** A topic's NOTIFYs are at most this close: a burst of POSTs wakes the other instances once, not once per POST. */
const NOTIFY_EVERY_MS = 50;
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 15_000;

/**
 * Signals across instances through LISTEN/NOTIFY. A publish wakes this instance's subscribers at
 * once and the others through a NOTIFY, sent at the first publish of a topic and then at most every
 * 50 ms. A notification is a hint: one sent while a listener reconnects is lost, so on every
 * (re)connection each topic is signalled locally once, and the workers poll too.
 *
 * LISTEN needs a connection of its own, not one of the pool (and does not work through PgBouncer
 * in transaction mode).
 */
export class PostgresSignals implements Signals {
  private readonly local = new LocalSignals();
  private readonly due = new Set<Topic>();
  private window: NodeJS.Timeout | undefined;
  private listener: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private reconnectMs = RECONNECT_FIRST_MS;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly url: string,
    /** This instance: its own notifications come back to it, and are skipped. */
    private readonly instance: string,
    private readonly logger: Logger,
  ) {}

  /** Connects the listener; resolves once it listens (or has failed once, to keep trying in the background). */
  async start(): Promise<void> {
    await this.listen();
  }

  publish(topic: Topic): void {
    this.local.publish(topic);
    this.due.add(topic);
    if (!this.window) this.flush();
  }

  subscribe(topic: Topic, wake: () => void): () => void {
    return this.local.subscribe(topic, wake);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.window);
    clearTimeout(this.retry);
    await this.listener?.end().catch(() => undefined);
    await this.local.close();
  }

  /** Sends the due topics now and opens a window in which later publishes only mark them due. */
  private flush(): void {
    const topics = [...this.due];
    this.due.clear();
    if (topics.length === 0 || this.closed) {
      this.window = undefined;
      return;
    }
    this.db
      .query(`SELECT pg_notify($1, t) FROM unnest($2::text[]) AS t`, [CHANNEL, topics.map((t) => `${t} ${this.instance}`)])
      .catch((error: unknown) => this.logger.debug({ err: String(error) }, 'could not notify the other instances'));
    this.window = setTimeout(() => this.flush(), NOTIFY_EVERY_MS);
    this.window.unref();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(connectionConfig(this.url));
    client.on('notification', (message) => this.heard(message.payload ?? ''));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    this.listener = client;
    this.reconnectMs = RECONNECT_FIRST_MS;
    // Whatever was notified while no one listened: every worker looks once.
    for (const topic of TOPICS) this.local.publish(topic);
  }

  private heard(payload: string): void {
    const [topic, from] = payload.split(' ');
    if (from === this.instance || !TOPICS.includes(topic as Topic)) return;
    this.local.publish(topic as Topic);
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.closed || (this.listener !== undefined && this.listener !== client) || this.retry) return;
    this.listener = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.logger.warn({ err: String(error), retryMs: this.reconnectMs }, 'lost the listener for other instances\' wake-ups; reconnecting (workers poll meanwhile)');
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.listen();
    }, this.reconnectMs);
    this.retry.unref();
    this.reconnectMs = Math.min(RECONNECT_MAX_MS, this.reconnectMs * 2);
  }
}
