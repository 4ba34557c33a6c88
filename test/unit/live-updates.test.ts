import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { LiveUpdates, type LiveView } from '../../src/page/live-updates';
import { createLogger } from '../../src/observability/logger';

/**
 * What the hub is told to show: `view()` renders it, counting the renders; `fail` makes it throw.
 * While `holding`, each render reads the page at once but answers only when `release()`d.
 */
class FakePage {
  key = 'k1';
  html = '<p>k1</p>';
  fail: Error | null = null;
  renders = 0;
  holding = false;
  private readonly held: Array<() => void> = [];

  show(key: string, html = `<p>${key}</p>`): void {
    this.key = key;
    this.html = html;
  }

  view = (): Promise<LiveView> => {
    this.renders++;
    if (this.fail) return Promise.reject(this.fail);
    const view = { key: this.key, html: this.html };
    if (!this.holding) return Promise.resolve(view);
    return new Promise((resolve) => this.held.push(() => resolve(view)));
  };

  /** Answers the oldest held render. */
  release(): void {
    const next = this.held.shift();
    if (!next) throw new Error('no render is held');
    next();
  }
}

/** One open event stream, read in the background. */
interface Stream {
  response: globalThis.Response;
  /** Everything received so far. */
  text(): string;
  /** The `event: checklist` blocks received so far, each with its `data:` lines joined as the browser does. */
  checklists(): string[];
  /** Resolves once `check` holds on what was received. */
  until(check: (text: string) => boolean, what: string): Promise<void>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  abort(): void;
}

const WAIT_MS = 3_000;

async function waitFor(check: () => boolean, what: string, describeState: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; state: ${describeState()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function checklistsIn(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: checklist\n'))
    .map((block) =>
      block
        .split('\n')
        .slice(1)
        .map((line) => line.replace(/^data: /, ''))
        .join('\n'),
    );
}

let server: http.Server;
/** Streams the server still has open, as the hub sees them (by the request's close event). */
let openRequests: number;
let url: string;
let live: LiveUpdates;
let page: FakePage;
let logLines: string[];
const streams: Stream[] = [];

async function start(options: { coalesceMs?: number; heartbeatMs?: number } = {}): Promise<void> {
  page = new FakePage();
  logLines = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
  live = new LiveUpdates({ view: page.view, logger, coalesceMs: options.coalesceMs ?? 20, heartbeatMs: options.heartbeatMs });
  const app = express();
  openRequests = 0;
  app.get('/live', (req, res) => {
    openRequests++;
    req.on('close', () => openRequests--);
    return live.attach(req, res);
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/live`;
}

async function connect(): Promise<Stream> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let received = '';
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      received += decoder.decode(value, { stream: true });
    }
  })();
  // An aborted stream rejects; the tests that care await `ended` themselves.
  ended.catch(() => undefined);
  const stream: Stream = {
    response,
    text: () => received,
    checklists: () => checklistsIn(received),
    until: (check, what) => waitFor(() => check(received), what, () => JSON.stringify(received)),
    ended,
    abort: () => controller.abort(),
  };
  streams.push(stream);
  return stream;
}

/** Connects and waits for the first checklist. */
async function connectAndRead(): Promise<Stream> {
  const stream = await connect();
  await stream.until((t) => checklistsIn(t).length === 1, 'the first checklist');
  return stream;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.abort();
  live.close();
  server.closeAllConnections();
  // Already closed by a test: the callback then gets ERR_SERVER_NOT_RUNNING, which is fine here.
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('connecting', () => {
  it('answers with an uncached event stream', async () => {
    await start();
    const stream = await connect();
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.response.headers.get('cache-control')).toBe('no-store');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
  });

  it('starts with the reconnection delay, then sends the current checklist', async () => {
    await start();
    const stream = await connectAndRead();
    expect(stream.text()).toBe('retry: 2000\n\nevent: checklist\ndata: <p>k1</p>\n\n');
  });

  it('sends each line of the HTML as its own data line, whatever ends the line', async () => {
    await start();
    page.show('multi', '<ul>\n<li>a</li>\r\n<li>b</li>\r<li>c</li>\n</ul>');
    const stream = await connectAndRead();
    expect(stream.text()).toContain(
      'event: checklist\ndata: <ul>\ndata: <li>a</li>\ndata: <li>b</li>\ndata: <li>c</li>\ndata: </ul>\n\n',
    );
    // No CR survives inside a data line: a browser would end the line there.
    expect(stream.text()).not.toContain('\r');
  });

  it('sends an empty page as one empty data line', async () => {
    await start();
    page.show('empty', '');
    const stream = await connectAndRead();
    expect(stream.text()).toContain('event: checklist\ndata: \n\n');
  });
});

describe('changed', () => {
  it('sends the new checklist when what the page shows changed', async () => {
    await start();
    const stream = await connectAndRead();
    page.show('k2');
    live.changed();
    await stream.until((t) => checklistsIn(t).length === 2, 'the second checklist');
    expect(stream.checklists()).toEqual(['<p>k1</p>', '<p>k2</p>']);
  });

  it('sends nothing when the rendered key is the same', async () => {
    await start();
    const stream = await connectAndRead();
    live.changed();
    await waitFor(() => page.renders === 2, 'the render of the unchanged page', () => String(page.renders));
    // A later real change arrives right after the first checklist: nothing was sent in between.
    page.show('k2');
    live.changed();
    await stream.until((t) => checklistsIn(t).length >= 2, 'the changed checklist');
    expect(stream.checklists()).toEqual(['<p>k1</p>', '<p>k2</p>']);
  });

  it('renders once for changes closer together than coalesceMs', async () => {
    await start({ coalesceMs: 50 });
    const stream = await connectAndRead();
    expect(page.renders).toBe(1);
    page.show('k2');
    live.changed();
    live.changed();
    live.changed();
    await stream.until((t) => checklistsIn(t).length === 2, 'the second checklist');
    await sleep(150);
    expect(page.renders).toBe(2);
    expect(stream.checklists()).toEqual(['<p>k1</p>', '<p>k2</p>']);
  });

  it('renders the first change at once, and the rest of a burst once coalesceMs has passed', async () => {
    await start({ coalesceMs: 300 });
    await connectAndRead();
    live.changed();
    await waitFor(() => page.renders === 2, 'the render of the first change', () => String(page.renders));
    live.changed();
    live.changed();
    await sleep(50);
    expect(page.renders).toBe(2);
    await waitFor(() => page.renders === 3, 'the render of the burst', () => String(page.renders));
    await sleep(100);
    expect(page.renders).toBe(3);
  });

  it('renders again after a render during which something changed', async () => {
    await start({ coalesceMs: 1 });
    const stream = await connectAndRead();
    page.holding = true;
    page.show('k2');
    live.changed();
    await waitFor(() => page.renders === 2, 'the render of k2', () => String(page.renders));
    page.show('k3');
    live.changed(); // while k2 is still being rendered
    page.holding = false;
    page.release();
    await stream.until((t) => checklistsIn(t).length === 3, 'the checklist of k3');
    expect(stream.checklists()).toEqual(['<p>k1</p>', '<p>k2</p>', '<p>k3</p>']);
    expect(page.renders).toBe(3);
  });

  it('renders once for every open page', async () => {
    await start();
    const first = await connectAndRead();
    const second = await connectAndRead();
    expect(page.renders).toBe(2);

    page.show('k2');
    live.changed();
    await first.until((t) => checklistsIn(t).length === 2, 'the update on the first page');
    await second.until((t) => checklistsIn(t).length === 2, 'the update on the second page');
    expect(page.renders).toBe(3);
    expect(first.checklists()).toEqual(['<p>k1</p>', '<p>k2</p>']);
    expect(second.checklists()).toEqual(['<p>k1</p>', '<p>k2</p>']);
  });

  it('renders nothing while no page is open', async () => {
    await start({ coalesceMs: 1 });
    live.changed();
    await sleep(30);
    expect(page.renders).toBe(0);
  });

  it('renders nothing more once the last page went away', async () => {
    await start({ coalesceMs: 1 });
    const stream = await connectAndRead();
    stream.abort();
    await waitFor(() => openRequests === 0, 'the server to see the page leave', () => String(openRequests));
    live.changed();
    await sleep(30);
    expect(page.renders).toBe(1);
  });
});

describe('a view that throws', () => {
  it('is logged when the page connects, and the stream stays open for the next change', async () => {
    await start();
    page.fail = new Error('the database is locked');
    const stream = await connect();
    await stream.until((t) => t === 'retry: 2000\n\n', 'the start of the stream');
    await waitFor(() => logLines.length > 0, 'the error log', () => logLines.join(''));
    const entry = JSON.parse(logLines[0] as string) as { level: number; msg: string; err: { message: string } };
    expect(entry).toMatchObject({ level: 50, msg: 'operator page: could not render the checklist' });
    expect(entry.err.message).toBe('the database is locked');
    expect(stream.text()).toBe('retry: 2000\n\n');

    page.fail = null;
    live.changed();
    await stream.until((t) => checklistsIn(t).length === 1, 'the checklist after the failure');
    expect(stream.checklists()).toEqual(['<p>k1</p>']);
  });

  it('is logged on a change, and a later change is still sent', async () => {
    await start();
    const stream = await connectAndRead();
    page.fail = new Error('disk I/O error');
    live.changed();
    await waitFor(() => logLines.length > 0, 'the error log', () => logLines.join(''));
    expect(logLines.join('')).toContain('disk I/O error');

    page.fail = null;
    page.show('k2');
    live.changed();
    await stream.until((t) => checklistsIn(t).length === 2, 'the checklist after the failure');
    expect(stream.checklists()).toEqual(['<p>k1</p>', '<p>k2</p>']);
  });
});

describe('heartbeat', () => {
  it('writes a keep-alive comment every heartbeatMs', async () => {
    await start({ heartbeatMs: 25 });
    const stream = await connectAndRead();
    await stream.until((t) => t.split(': keep-alive\n\n').length > 3, 'three keep-alive comments');
    expect(stream.checklists()).toEqual(['<p>k1</p>']);
  });

  it('writes none before heartbeatMs has passed', async () => {
    await start({ heartbeatMs: 10_000 });
    const stream = await connectAndRead();
    await sleep(100);
    expect(stream.text()).not.toContain('keep-alive');
  });
});

describe('close', () => {
  it('ends every stream, so the server can close', async () => {
    await start();
    const first = await connectAndRead();
    const second = await connectAndRead();
    live.close();
    await expect(first.ended).resolves.toBeUndefined();
    await expect(second.ended).resolves.toBeUndefined();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  it('cancels an update still waiting for coalesceMs', async () => {
    await start({ coalesceMs: 20 });
    const stream = await connectAndRead();
    live.changed();
    live.close();
    await stream.ended;
    await sleep(80);
    expect(page.renders).toBe(1);
  });
});
