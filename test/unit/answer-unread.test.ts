import http from 'node:http';
import net from 'node:net';
import { answerUnread } from '../../src/http/answer-unread';

/** A server that answers every request 413 without reading its body, through `answerUnread`. */
async function refusingServer(limit: { bytes: number; ms: number }): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    answerUnread(req, res, { status: 413, headers: { 'content-type': 'application/json' }, body: '{"error":"payload_too_large"}' }, limit);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Sends `chunks` chunks of 64 KB (chunked encoding), reading whatever comes back meanwhile. */
function sendChunked(port: number, chunks: number): Promise<{ answer: string; error: string | null; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let error: string | null = null;
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (answer += data));
    socket.on('error', (e) => (error = e.message));
    socket.on('close', () => resolve({ answer, error, closed: true }));
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const next = () => {
      while (sent < chunks) {
        sent++;
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        if (!socket.write('\r\n')) return void socket.once('drain', next);
      }
      socket.write('0\r\n\r\n');
    };
    next();
  });
}

describe('answerUnread', () => {
  it('lets a client still sending a large body read the answer, then closes once the body has arrived', async () => {
    const server = await refusingServer({ bytes: 64 * 1024 * 1024, ms: 10_000 });
    try {
      const { answer, error } = await sendChunked(server.port, 128); // 8 MB
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('connection: close');
      expect(answer).toContain('{"error":"payload_too_large"}');
      expect(error).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('cuts off a client that sends more than the bound, after answering it', async () => {
    const server = await refusingServer({ bytes: 1024 * 1024, ms: 10_000 });
    try {
      const { answer, error } = await sendChunked(server.port, 128);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      // Cut off with 7 MB still to send: its writes fail.
      expect(error).toMatch(/EPIPE|ECONNRESET/);
    } finally {
      await server.close();
    }
  });
});
