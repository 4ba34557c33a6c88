import type { Request, Response } from 'express';
import type { Logger } from '../observability/logger';

/** One checklist item as an open page receives it: `key` tells whether it changed, `html` replaces it. */
export interface LiveItem {
  id: string;
  key: string;
  html: string;
}

export interface LiveView {
  items: LiveItem[];
}

export interface LiveUpdatesOptions {
  /** Reads the stores and renders the checklist's items. */
  view: () => Promise<LiveView>;
  logger: Logger;
  /**
   * Renders at most this often (or four times the last render's duration, if longer): changes
   * closer together are sent as one, so a webhook burst renders about twenty times a second.
   */
  coalesceMs?: number;
  /**
   * This often: a comment keeps proxies from closing a quiet stream, sessions are checked again
   * (an expired one ends its streams), and the checklist is rendered again for states that
   * change with time alone (a silent call given up on).
   */
  heartbeatMs?: number;
}

interface Client {
  res: Response;
  /** What this page shows now: each item's key, by item id. */
  shown: Map<string, string>;
  /** Whether the session behind the stream is still open. */
  allowed: () => Promise<boolean>;
  /** The socket's buffer is full: nothing more is written until it drains, then the latest view. */
  congested: boolean;
}

/** The one event the stream sends: an item's new HTML (the page's script listens for it by this name). */
export const LIVE_EVENT = 'item';

/**
 * Server-Sent Events for the operator page (`GET /api/live`). Each open page is sent every item
 * when it connects, then each item that changed, as its own event: the rest of the page, and
 * whatever has focus in it, stays as it is. One render serves every open page.
 */
export class LiveUpdates {
  private readonly clients = new Set<Client>();
  private readonly coalesceMs: number;
  private readonly heartbeat: NodeJS.Timeout;
  private timer: NodeJS.Timeout | undefined;
  private rendering = false;
  private changedWhileRendering = false;
  private lastRenderAt = -Infinity;
  private lastRenderMs = 0;
  private closed = false;

  constructor(private readonly options: LiveUpdatesOptions) {
    this.coalesceMs = options.coalesceMs ?? 50;
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Something stored changed: open pages get the changed items shortly. */
  changed(): void {
    if (this.clients.size === 0) return;
    if (this.rendering) {
      this.changedWhileRendering = true;
      return;
    }
    // The first change after a quiet spell renders at once; later ones wait out the rest of the
    // interval, so a burst renders at most once per interval and its last change is never lost.
    const interval = Math.max(this.coalesceMs, 4 * this.lastRenderMs);
    const wait = Math.max(0, this.lastRenderAt + interval - performance.now());
    this.timer ??= setTimeout(() => void this.push(), wait);
  }

  /** Turns `res` into an event stream for as long as `allowed` holds, and sends it every item. */
  async attach(req: Request, res: Response, allowed: () => Promise<boolean>): Promise<void> {
    if (this.closed) {
      res.status(503).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // no-transform: a compressing proxy would otherwise hold events back to fill its buffer.
      'Cache-Control': 'no-store, no-transform',
      // nginx would otherwise hold the events in its buffer.
      'X-Accel-Buffering': 'no',
    });
    // If the stream drops, the browser reconnects after 2 s and is sent every item again.
    res.write('retry: 2000\n\n');
    const client: Client = { res, shown: new Map(), allowed, congested: false };
    this.clients.add(client);
    req.on('close', () => this.clients.delete(client));
    res.on('drain', () => {
      client.congested = false;
      // Rendered afresh: the last view rendered may be older than what this page was last sent.
      this.changed();
    });
    try {
      const view = await this.options.view();
      // An update may have reached this page while its first view rendered: that one is newer.
      // The stream may also have ended meanwhile (sign-out, shutdown): nothing is written then.
      if (this.clients.has(client) && client.shown.size === 0) this.send(client, view);
    } catch (error) {
      this.options.logger.error({ err: error }, 'operator page: could not render the checklist');
    }
  }

  /** Ends the streams whose session is over (a sign-out, an expiry). */
  async recheck(): Promise<void> {
    for (const client of [...this.clients]) {
      const allowed = await client.allowed().catch(() => false);
      if (!allowed) this.end(client);
    }
  }

  /** Ends every stream, and refuses new ones, so the server can close. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const client of [...this.clients]) this.end(client);
  }

  private beat(): void {
    for (const client of this.clients) {
      if (!client.congested && !client.res.write(': keep-alive\n\n')) client.congested = true;
    }
    this.recheck().catch((error: unknown) => this.options.logger.error({ err: error }, 'operator page: could not check sessions'));
    this.changed();
  }

  private async push(): Promise<void> {
    this.timer = undefined;
    this.rendering = true;
    const started = performance.now();
    this.lastRenderAt = started;
    try {
      const view = await this.options.view();
      this.lastRenderMs = performance.now() - started;
      for (const client of this.clients) this.send(client, view);
    } catch (error) {
      this.options.logger.error({ err: error }, 'operator page: could not render the checklist');
    } finally {
      this.rendering = false;
      if (this.changedWhileRendering) {
        this.changedWhileRendering = false;
        this.changed();
      }
    }
  }

  /** Writes the items of `view` the page does not show yet; a full buffer holds the rest back. */
  private send(client: Client, view: LiveView): void {
    if (client.congested) return;
    let text = '';
    for (const item of view.items) {
      if (client.shown.get(item.id) === item.key) continue;
      client.shown.set(item.id, item.key);
      text += eventOf(LIVE_EVENT, item.html);
    }
    if (text !== '' && !client.res.write(text)) client.congested = true;
  }

  private end(client: Client): void {
    this.clients.delete(client);
    client.res.end();
  }
}

/**
 * One event: each line of `data` is a `data:` line, which the browser joins with newlines again.
 * A bare CR ends a line in an event stream too, so it splits here rather than cut a line short.
 */
function eventOf(name: string, data: string): string {
  return `event: ${name}\n${data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('')}\n`;
}
