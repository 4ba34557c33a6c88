import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { LiveUpdates, type LiveItem, type LiveView } from '../../src/page/live-updates';
import { createLogger } from '../../src/observability/logger';

const itemOf = (id: string, key: string, html = `<p>${key}</p>`): LiveItem => ({ id, key, html });

/**
 * What the hub is told to show: `view()` renders the items, counting the renders; `fail` makes it
 * throw. While `holding`, each render reads the items at once but answers only when `release()`d.
 */
class FakePage {
  items: LiveItem[] = [itemOf('a', 'a1'), itemOf('b', 'b1')];
  fail: Error | null = null;
  renders = 0;
  holding = false;
  private readonly held: Array<() => void> = [];

  /** Gives item `id` a new key (and HTML), or adds it after the others. */
  show(id: string, key: string, html = `<p>${key}</p>`): void {
    const item = itemOf(id, key, html);
    const at = this.items.findIndex((existing) => existing.id === id);
    if (at === -1) this.items.push(item);
    else this.items[at] = item;
  }

  view = (): Promise<LiveView> => {
    this.renders++;
    if (this.fail) return Promise.reject(this.fail);
    const view = { items: this.items.map((item) => ({ ...item })) };
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
  /** The `event: item` blocks received so far, each with its `data:` lines joined as the browser does. */
  items(): string[];
  /** Resolves once `check` holds on what was received. */
  until(check: (text: string) => boolean, what: string): Promise<void>;
  /** Whether the stream has ended. */
  finished(): boolean;
  /** Resolves once the server ended the stream cleanly; fails after WAIT_MS rather than hang. */
  untilEnded(what: string): Promise<void>;
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

function itemsIn(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: item\n'))
    .map((block) =>
      block
        .split('\n')
        .slice(1)
        .map((line) => line.replace(/^data: /, ''))
        .join('\n'),
    );
}

const keepAlivesIn = (text: string): number => text.split(': keep-alive\n\n').length - 1;

let server: http.Server;
/** Streams the server still has open, as the hub sees them (by the request's close event). */
let openRequests: number;
let url: string;
let live: LiveUpdates;
let page: FakePage;
let logLines: string[];
/** What each stream's `allowed()` answers, by the `session` of its URL: true when unset; an Error rejects. */
let sessions: Map<string, boolean | Error>;
/** The server's side of each stream, by session. */
let responses: Map<string, http.ServerResponse>;
/** Sessions whose next item write reports a full buffer (it is still sent), as a congested socket does. */
let congestNextItem: Set<string>;
const streams: Stream[] = [];

async function start(options: { coalesceMs?: number; heartbeatMs?: number } = {}): Promise<void> {
  page = new FakePage();
  logLines = [];
  sessions = new Map();
  responses = new Map();
  congestNextItem = new Set();
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
  live = new LiveUpdates({ view: page.view, logger, coalesceMs: options.coalesceMs ?? 20, heartbeatMs: options.heartbeatMs });
  const app = express();
  openRequests = 0;
  app.get('/live', (req, res) => {
    const session = typeof req.query.session === 'string' ? req.query.session : '';
    openRequests++;
    req.on('close', () => openRequests--);
    responses.set(session, res);
    const write = res.write.bind(res) as (chunk: string) => boolean;
    res.write = ((chunk: string) => {
      const written = write(chunk);
      if (chunk.startsWith('event: item') && congestNextItem.delete(session)) return false;
      return written;
    }) as typeof res.write;
    return live.attach(req, res, () => {
      const allowed = sessions.get(session) ?? true;
      return allowed instanceof Error ? Promise.reject(allowed) : Promise.resolve(allowed);
    });
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/live`;
}

async function connect(session = 'first'): Promise<Stream> {
  const controller = new AbortController();
  const response = await fetch(`${url}?session=${session}`, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let received = '';
  let finished = false;
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      received += decoder.decode(value, { stream: true });
    }
  })().finally(() => {
    finished = true;
  });
  // An aborted stream rejects; untilEnded awaits `ended` for the tests that care.
  ended.catch(() => undefined);
  const stream: Stream = {
    response,
    text: () => received,
    items: () => itemsIn(received),
    until: (check, what) => waitFor(() => check(received), what, () => JSON.stringify(received)),
    finished: () => finished,
    untilEnded: async (what) => {
      await waitFor(() => finished, what, () => JSON.stringify(received));
      await ended;
    },
    abort: () => controller.abort(),
  };
  streams.push(stream);
  return stream;
}

/** Connects and waits for every item of the page. */
async function connectAndRead(session?: string): Promise<Stream> {
  const stream = await connect(session);
  const count = page.items.length;
  await stream.until((t) => itemsIn(t).length === count, `the first ${count} items`);
  return stream;
}

const rendered = (count: number) => waitFor(() => page.renders >= count, `render ${count}`, () => String(page.renders));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.abort();
  live.close();
  server.closeAllConnections();
  // Already closed by a test: the callback then gets ERR_SERVER_NOT_RUNNING, which is fine here.
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('connecting', () => {
  it('answers with an uncached, unbuffered event stream', async () => {
    await start();
    const stream = await connect();
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.response.headers.get('cache-control')).toBe('no-store, no-transform');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
  });

  it('starts with the reconnection delay, then sends every item as its own event', async () => {
    await start();
    const stream = await connectAndRead();
    expect(stream.text()).toBe('retry: 2000\n\nevent: item\ndata: <p>a1</p>\n\nevent: item\ndata: <p>b1</p>\n\n');
  });

  it('sends each line of an item as its own data line, whatever ends the line', async () => {
    await start();
    page.show('a', 'multi', '<ul>\n<li>a</li>\r\n<li>b</li>\r<li>c</li>\n</ul>');
    const stream = await connectAndRead();
    expect(stream.text()).toContain(
      'event: item\ndata: <ul>\ndata: <li>a</li>\ndata: <li>b</li>\ndata: <li>c</li>\ndata: </ul>\n\n',
    );
    // No CR survives inside a data line: a browser would end the line there.
    expect(stream.text()).not.toContain('\r');
  });

  it('sends an empty item as one empty data line', async () => {
    await start();
    page.show('a', 'empty', '');
    const stream = await connectAndRead();
    expect(stream.text()).toContain('event: item\ndata: \n\n');
  });

  it('answers 503 and ends once the hub is closed', async () => {
    await start();
    live.close();
    const response = await fetch(`${url}?session=late`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('');
    expect(page.renders).toBe(0);
  });
});

describe('changed', () => {
  it('sends only the items whose key changed', async () => {
    await start();
    const stream = await connectAndRead();
    const before = stream.text();
    page.show('a', 'a2');
    live.changed();
    await stream.until((t) => itemsIn(t).length === 3, 'the changed item');
    await sleep(30);
    expect(stream.text()).toBe(`${before}event: item\ndata: <p>a2</p>\n\n`);
  });

  it('sends each changed item as its own event, and an item the page has not been sent', async () => {
    await start();
    const stream = await connectAndRead();
    page.show('a', 'a2');
    page.show('b', 'b2');
    page.show('c', 'c1');
    live.changed();
    await stream.until((t) => itemsIn(t).length === 5, 'the three changed items');
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>', '<p>b2</p>', '<p>c1</p>']);
  });

  it('sends nothing when no key changed', async () => {
    await start();
    const stream = await connectAndRead();
    live.changed();
    await rendered(2);
    await sleep(30);
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>']);
  });

  it('does not send an unchanged item again on a later change', async () => {
    await start();
    const stream = await connectAndRead();
    page.show('a', 'a2');
    live.changed();
    await stream.until((t) => itemsIn(t).length === 3, 'the first change');
    page.show('b', 'b2');
    live.changed();
    await stream.until((t) => itemsIn(t).length >= 4, 'the second change');
    await sleep(30);
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>', '<p>b2</p>']);
  });

  it('renders once for changes closer together than coalesceMs', async () => {
    await start({ coalesceMs: 50 });
    const stream = await connectAndRead();
    expect(page.renders).toBe(1);
    page.show('a', 'a2');
    live.changed();
    live.changed();
    live.changed();
    await stream.until((t) => itemsIn(t).length === 3, 'the changed item');
    await sleep(150);
    expect(page.renders).toBe(2);
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>']);
  });

  it('renders the first change at once, and the rest of a burst once coalesceMs has passed', async () => {
    await start({ coalesceMs: 300 });
    await connectAndRead();
    live.changed();
    await rendered(2);
    live.changed();
    live.changed();
    await sleep(50);
    expect(page.renders).toBe(2);
    await rendered(3);
    await sleep(100);
    expect(page.renders).toBe(3);
  });

  it('renders again after a render during which something changed', async () => {
    await start({ coalesceMs: 1 });
    const stream = await connectAndRead();
    page.holding = true;
    page.show('a', 'a2');
    live.changed();
    await rendered(2);
    page.show('a', 'a3');
    live.changed(); // while a2 is still being rendered
    page.holding = false;
    page.release();
    await stream.until((t) => itemsIn(t).length === 4, 'the item as a3');
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>', '<p>a3</p>']);
    expect(page.renders).toBe(3);
  });

  it('renders once for every open page, and sends each page what it was not sent yet', async () => {
    await start();
    const first = await connectAndRead('first');
    page.show('a', 'a2');
    live.changed();
    await first.until((t) => itemsIn(t).length === 3, 'a2 on the first page');
    const second = await connectAndRead('second');
    expect(page.renders).toBe(3);

    page.show('b', 'b2');
    live.changed();
    await first.until((t) => itemsIn(t).length === 4, 'b2 on the first page');
    await second.until((t) => itemsIn(t).length === 3, 'b2 on the second page');
    expect(page.renders).toBe(4);
    expect(first.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>', '<p>b2</p>']);
    expect(second.items()).toEqual(['<p>a2</p>', '<p>b1</p>', '<p>b2</p>']);
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

describe('a congested page', () => {
  it('is written nothing more until it drains, then only the items of the latest view', async () => {
    await start({ coalesceMs: 1 });
    const stream = await connectAndRead('slow');
    congestNextItem.add('slow');
    page.show('a', 'a2');
    live.changed();
    // The write that found the buffer full still arrives.
    await stream.until((t) => itemsIn(t).length === 3, 'a2, written into a full buffer');

    page.show('a', 'a3');
    page.show('b', 'b2');
    live.changed();
    await rendered(3);
    page.show('a', 'a4');
    live.changed();
    await rendered(4);
    await sleep(30);
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>']);

    responses.get('slow')?.emit('drain');
    await stream.until((t) => itemsIn(t).length >= 5, 'the latest items after the drain');
    await sleep(30);
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>', '<p>a4</p>', '<p>b2</p>']);
  });

  it('does not hold back the other pages', async () => {
    await start({ coalesceMs: 1 });
    const slow = await connectAndRead('slow');
    const fast = await connectAndRead('fast');
    congestNextItem.add('slow');
    page.show('a', 'a2');
    live.changed();
    await slow.until((t) => itemsIn(t).length === 3, 'a2 on the slow page');
    await fast.until((t) => itemsIn(t).length === 3, 'a2 on the fast page');
    page.show('b', 'b2');
    live.changed();
    await fast.until((t) => itemsIn(t).length === 4, 'b2 on the fast page');
    expect(slow.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>']);
  });

  it('is written no keep-alive until it drains', async () => {
    await start({ coalesceMs: 1, heartbeatMs: 25 });
    const slow = await connectAndRead('slow');
    const fast = await connectAndRead('fast');
    congestNextItem.add('slow');
    page.show('a', 'a2');
    live.changed();
    await slow.until((t) => itemsIn(t).length === 3, 'a2 on the slow page');
    const slowKeepAlives = keepAlivesIn(slow.text());
    const fastKeepAlives = keepAlivesIn(fast.text());
    await fast.until((t) => keepAlivesIn(t) >= fastKeepAlives + 3, 'three more keep-alives on the fast page');
    expect(keepAlivesIn(slow.text())).toBe(slowKeepAlives);

    responses.get('slow')?.emit('drain');
    await slow.until((t) => keepAlivesIn(t) > slowKeepAlives, 'a keep-alive after the drain');
  });
});

describe('recheck', () => {
  it('ends the streams whose allowed() turned false and keeps the others', async () => {
    await start();
    const kept = await connectAndRead('kept');
    const expired = await connectAndRead('expired');
    sessions.set('expired', false);
    await live.recheck();
    await expired.untilEnded('the end of the expired stream');

    page.show('a', 'a2');
    live.changed();
    await kept.until((t) => itemsIn(t).length === 3, 'a change on the kept page');
    expect(kept.finished()).toBe(false);
    expect(expired.items()).toEqual(['<p>a1</p>', '<p>b1</p>']);
  });

  it('ends a stream whose allowed() rejects', async () => {
    await start();
    const stream = await connectAndRead('broken');
    sessions.set('broken', new Error('the session store is down'));
    await live.recheck();
    await stream.untilEnded('the end of the stream');
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
    await stream.until((t) => itemsIn(t).length === 2, 'the items after the failure');
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>']);
  });

  it('is logged on a change, and a later change is still sent', async () => {
    await start();
    const stream = await connectAndRead();
    page.fail = new Error('disk I/O error');
    live.changed();
    await waitFor(() => logLines.length > 0, 'the error log', () => logLines.join(''));
    expect(logLines.join('')).toContain('disk I/O error');

    page.fail = null;
    page.show('a', 'a2');
    live.changed();
    await stream.until((t) => itemsIn(t).length === 3, 'the item after the failure');
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>']);
  });
});

describe('heartbeat', () => {
  it('writes a keep-alive comment every heartbeatMs, and re-renders without resending unchanged items', async () => {
    await start({ heartbeatMs: 25 });
    const stream = await connectAndRead();
    await stream.until((t) => keepAlivesIn(t) >= 3, 'three keep-alive comments');
    await rendered(3);
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>']);
  });

  it('writes none before heartbeatMs has passed', async () => {
    await start({ heartbeatMs: 10_000 });
    const stream = await connectAndRead();
    await sleep(100);
    expect(stream.text()).not.toContain('keep-alive');
    expect(page.renders).toBe(1);
  });

  it('sends an item that changed with time alone, without a call to changed()', async () => {
    await start({ heartbeatMs: 25 });
    const stream = await connectAndRead();
    page.show('a', 'a2');
    await stream.until((t) => itemsIn(t).length === 3, 'the item re-rendered by the heartbeat');
    expect(stream.items()).toEqual(['<p>a1</p>', '<p>b1</p>', '<p>a2</p>']);
  });

  it('ends the streams whose session is over and keeps the others', async () => {
    await start({ heartbeatMs: 25 });
    const kept = await connectAndRead('kept');
    const expired = await connectAndRead('expired');
    sessions.set('expired', false);
    await expired.untilEnded('the end of the expired stream');
    const keepAlives = keepAlivesIn(kept.text());
    await kept.until((t) => keepAlivesIn(t) >= keepAlives + 2, 'two more keep-alives on the kept page');
    expect(kept.finished()).toBe(false);
  });
});

describe('close', () => {
  it('ends every stream, so the server can close', async () => {
    await start();
    const first = await connectAndRead('first');
    const second = await connectAndRead('second');
    live.close();
    await first.untilEnded('the end of the first stream');
    await second.untilEnded('the end of the second stream');
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  it('cancels an update still waiting for coalesceMs', async () => {
    await start({ coalesceMs: 20 });
    const stream = await connectAndRead();
    live.changed();
    live.close();
    await stream.untilEnded('the end of the stream');
    await sleep(80);
    expect(page.renders).toBe(1);
  });
});
