import type { IncomingMessage, ServerResponse } from 'node:http';

/** How much of a refused body is read and thrown away, and for how long, before the connection is cut. */
export const DISCARD_LIMIT = { bytes: 16 * 1024 * 1024, ms: 10_000 };

/**
 * Answers a request whose body will not be read (too large, or refused before it was read) so that
 * a client still sending it can read the answer: the whole answer is written at once, then the rest
 * of the body is read and thrown away, and the connection closes once it has all arrived. Closing
 * while the client still wrote would reset the connection, and the client would see the reset, not
 * the answer. A client that sends more than `DISCARD_LIMIT` (or for longer) is cut off.
 */
export function answerUnread(
  req: IncomingMessage,
  res: ServerResponse,
  answer: { status: number; headers: Record<string, string | number>; body: string },
  limit = DISCARD_LIMIT,
): void {
  res.writeHead(answer.status, { ...answer.headers, connection: 'close', 'content-length': Buffer.byteLength(answer.body) });
  if (req.complete) {
    res.end(answer.body);
    return;
  }
  res.write(answer.body);
  let discarded = 0;
  const finish = () => {
    clearTimeout(timer);
    req.off('data', onData);
    if (!res.writableEnded) res.end();
  };
  const cutOff = () => {
    finish();
    req.socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limit.bytes) cutOff();
  };
  const timer = setTimeout(cutOff, limit.ms);
  timer.unref();
  req.on('data', onData);
  req.once('end', finish);
  req.once('error', finish);
  req.once('close', finish);
  req.resume();
}
