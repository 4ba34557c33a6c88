import type { Request, Response } from 'express';
import type { Logger } from '../observability/logger';

/** What an open page is sent: `key` tells whether anything changed, `html` is what it shows. */
export interface LiveView {
  key: string;
  html: string;
}

export interface LiveUpdatesOptions {
  /** Reads the stores and renders the checklist. */
  view: () => Promise<LiveView>;
  logger: Logger;
  /** Renders at most this often: changes closer together are sent as one (a webhook burst renders twenty times a second). */
  coalesceMs?: number;
  /** A comment line this often keeps proxies from closing a quiet stream. */
  heartbeatMs?: number;
}

interface Client {
  res: Response;
  /** The key of what this page shows now. */
  shown: string | null;
}

/**
 * Server-Sent Events for the operator page (`GET /api/live`): each open page is sent the
 * checklist when it connects, then again whenever something it shows changed. Renders happen once
 * per change for every page, never one per page.
 */
export class LiveUpdates {
  private readonly clients = new Set<Client>();
  private readonly coalesceMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastRenderAt = -Infinity;
  private rendering = false;
  private changedWhileRendering = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly options: LiveUpdatesOptions) {
    this.coalesceMs = options.coalesceMs ?? 50;
    this.heartbeat = setInterval(() => this.writeAll(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Something stored changed: open pages get the new checklist shortly. */
  changed(): void {
    if (this.clients.size === 0) return;
    if (this.rendering) {
      this.changedWhileRendering = true;
      return;
    }
    // The first change after a quiet spell renders at once; later ones wait out the rest of the
    // interval, so a burst renders at most once per `coalesceMs` and the last change is never lost.
    const wait = Math.max(0, this.lastRenderAt + this.coalesceMs - performance.now());
    this.timer ??= setTimeout(() => void this.push(), wait);
  }

  /** Turns `res` into an event stream and sends it the checklist at once. */
  async attach(req: Request, res: Response): Promise<void> {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // nginx would otherwise hold the events in its buffer.
      'X-Accel-Buffering': 'no',
    });
    // If the stream drops, the browser reconnects after 2 s and is sent the current checklist.
    res.write('retry: 2000\n\n');
    const client: Client = { res, shown: null };
    this.clients.add(client);
    req.on('close', () => this.clients.delete(client));
    try {
      const view = await this.options.view();
      // An update may have reached this page while its first view rendered: that one is newer.
      if (client.shown === null) this.send(client, view);
    } catch (error) {
      this.options.logger.error({ err: error }, 'operator page: could not render the checklist');
    }
  }

  /** Ends every stream, so the server can close. */
  close(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }

  private async push(): Promise<void> {
    this.timer = undefined;
    this.rendering = true;
    this.lastRenderAt = performance.now();
    try {
      const view = await this.options.view();
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

  private send(client: Client, view: LiveView): void {
    if (client.shown === view.key) return;
    client.shown = view.key;
    // Each line of the HTML is a `data:` line; the browser joins them with newlines again. A bare
    // CR ends a line in an event stream too, so it splits here rather than cut a line short.
    const data = view.html.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join('');
    client.res.write(`event: checklist\n${data}\n`);
  }

  private writeAll(text: string): void {
    for (const client of this.clients) client.res.write(text);
  }
}
