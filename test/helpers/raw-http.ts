import net from 'node:net';

/**
 * How a request's body goes on the wire:
 * - `whole`: with its Content-Length;
 * - `chunked`: Transfer-Encoding: chunked, no Content-Length, written as the server reads it and
 *   stopped as soon as it answers (a body over the limit is refused before it is all sent);
 * - `truncated`: a Content-Length of `declared`, fewer bytes, then the client closes the socket;
 * - `raw`: the head and body exactly as given (no header added): for bytes that `fetch` and
 *   `node:http` refuse to send; with `hangUp`, the client then closes the socket unless answered.
 */
export type Delivery =
  | { kind: 'whole' }
  | { kind: 'chunked' }
  | { kind: 'truncated'; declared: number }
  | { kind: 'raw'; hangUp?: boolean };

export interface RawRequest {
  method: string;
  /** The request target exactly as sent (latin1): may hold `..`, `%00`, invalid percent-encoding. */
  target: string;
  /** The protocol on the request line; default `HTTP/1.1`. */
  version?: string;
  /** In order, repeats allowed. `Host` and `Connection: close` are added, except for `raw`. */
  headers?: Array<[string, string]>;
  body?: Buffer;
  delivery?: Delivery;
}

/** A status, or what happened instead of one. */
export type Outcome =
  | { status: number; headers: Record<string, string>; body: Buffer }
  | { status: 'client-closed' | 'reset' | 'no-answer'; detail: string };

const CHUNK = 64 * 1024;
/**
 * A truncated request waits up to this long for an early answer (a refused signature, a 413) before
 * it hangs up: long enough for a machine busy with the rest of the corpus to answer.
 */
const TRUNCATED_WAIT_MS = 3_000;
const ANSWER_TIMEOUT_MS = 20_000;

/** Sends `request` to 127.0.0.1:`port` on a connection of its own, and reads the answer to the end. */
export function exchange(port: number, request: RawRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const answered = () => received.length > 0;
    const timer = setTimeout(() => finish({ status: 'no-answer', detail: `nothing within ${ANSWER_TIMEOUT_MS} ms` }), ANSWER_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => finish(parseAnswer(Buffer.concat(received))));
    socket.on('close', () => finish(parseAnswer(Buffer.concat(received))));
    // A server that answers early and closes may reset a connection we are still writing to.
    socket.on('error', (error) => finish(answered() ? parseAnswer(Buffer.concat(received)) : { status: 'reset', detail: error.message }));
    socket.once('connect', () => {
      send(socket, request, answered).then(
        (hungUp) => {
          if (hungUp) finish({ status: 'client-closed', detail: 'the client closed the connection mid-body' });
        },
        () => undefined, // the error handler above has the outcome
      );
    });
  });
}

/** Writes the request; true when it hung up on purpose (a truncated body nobody answered). */
async function send(socket: net.Socket, request: RawRequest, answered: () => boolean): Promise<boolean> {
  const delivery = request.delivery ?? { kind: 'whole' };
  const body = request.body ?? Buffer.alloc(0);
  if (delivery.kind === 'raw') {
    await write(socket, Buffer.concat([head(request, []), body]));
    return delivery.hangUp === true && (await hangUpUnlessAnswered(answered));
  }
  const framing: Array<[string, string]> =
    delivery.kind === 'chunked'
      ? [['Transfer-Encoding', 'chunked']]
      : [['Content-Length', String(delivery.kind === 'truncated' ? delivery.declared : body.length)]];
  const standard: Array<[string, string]> = [['Host', `127.0.0.1`], ['Connection', 'close'], ...framing];
  if (delivery.kind === 'chunked') {
    await write(socket, head(request, standard));
    for (let at = 0; at < body.length && !answered(); at += CHUNK) {
      const piece = body.subarray(at, at + CHUNK);
      await write(socket, Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    }
    if (!answered()) socket.write('0\r\n\r\n');
    return false;
  }
  await write(socket, Buffer.concat([head(request, standard), body]));
  return delivery.kind === 'truncated' && (await hangUpUnlessAnswered(answered));
}

async function hangUpUnlessAnswered(answered: () => boolean): Promise<boolean> {
  const deadline = Date.now() + TRUNCATED_WAIT_MS;
  while (!answered() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return !answered();
}

function head(request: RawRequest, standard: Array<[string, string]>): Buffer {
  const lines = [`${request.method} ${request.target} ${request.version ?? 'HTTP/1.1'}`, ...[...standard, ...(request.headers ?? [])].map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function write(socket: net.Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      reject(new Error('socket closed'));
      return;
    }
    if (socket.write(data)) resolve();
    else {
      socket.once('drain', resolve);
      socket.once('close', () => reject(new Error('socket closed')));
    }
  });
}

/**
 * Status line, headers (lower-cased, repeats joined) and body (de-chunked) of an HTTP/1.1 answer.
 * Interim answers (`100 Continue`) are skipped: the final one is the answer.
 */
export function parseAnswer(raw: Buffer): Outcome {
  if (/^HTTP\/1\.[01] 1\d\d /.test(raw.subarray(0, 16).toString('latin1'))) {
    const interimEnd = raw.indexOf('\r\n\r\n');
    if (interimEnd >= 0) return parseAnswer(raw.subarray(interimEnd + 4));
  }
  const end = raw.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw.subarray(0, 16).toString('latin1'))?.[1];
  if (end < 0 || !status) return { status: 'reset', detail: `no complete answer (${raw.length} bytes)` };
  const headers: Record<string, string> = {};
  for (const line of raw.subarray(0, end).toString('latin1').split('\r\n').slice(1)) {
    const at = line.indexOf(':');
    const name = line.slice(0, at).trim().toLowerCase();
    const value = line.slice(at + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = raw.subarray(end + 4);
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rest) : rest;
  return { status: Number(status), headers, body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
