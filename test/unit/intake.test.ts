import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { BodyBudget } from '../../src/http/body-budget';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import type { InboxRecord } from '../../src/store/webhook-store';
import { MAX_WEBHOOK_BYTES, webhookIntake } from '../../src/whatsapp/intake';
import { signPayload } from '../../src/whatsapp/sign';

const SECRET = 'app-secret-for-intake-tests';

/** The intake alone on a node:http server, with a store function the test controls. */
async function serve(store: (record: InboxRecord) => Promise<void>) {
  const stored: InboxRecord[] = [];
  let kicks = 0;
  const logs: string[] = [];
  const intake = webhookIntake({
    appSecrets: [SECRET],
    verifySignatures: true,
    store: async (record) => {
      await store(record);
      stored.push(record);
    },
    onStored: () => kicks++,
    bodies: new BodyBudget(64 * 2 ** 20),
    clock: { now: () => new Date('2026-11-23T10:00:00Z') },
    logger: createLogger({ level: 'trace', destination: new Writable({ write: (c: Buffer, _e, done) => done(void logs.push(c.toString())) }) }),
    metrics: createMetrics({ processMetrics: false }),
  });
  const server = http.createServer(intake);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    stored,
    logs,
    kicks: () => kicks,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A POST written by hand: chunked (no Content-Length) when `chunks` has more than one part. */
function post(port: number, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // The server may answer and close before the whole body is written; that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const BODY = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

describe('the webhook intake', () => {
  it('answers 503 and does not start dispatch when the POST cannot be stored, so Meta delivers it again', async () => {
    const s = await serve(() => Promise.reject(new Error('SQLITE_FULL: database or disk is full')));
    try {
      const res = await post(s.port, { 'x-hub-signature-256': signPayload(SECRET, BODY), 'content-length': String(BODY.length) }, [BODY]);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(JSON.parse(res.body)).toEqual({ error: 'store_unavailable', message: 'the event could not be stored; deliver it again' });
      expect(s.kicks()).toBe(0);
      expect(s.logs.join('')).toContain('could not store a webhook POST; answering 503 so Meta retries');
    } finally {
      await s.close();
    }
  });

  it('refuses a chunked body (no Content-Length) as soon as it passes 3 MB, storing nothing', async () => {
    const s = await serve(() => Promise.resolve());
    try {
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const res = await post(s.port, { 'x-hub-signature-256': `sha256=${'a'.repeat(64)}`, 'transfer-encoding': 'chunked' }, [
        chunk,
        chunk,
        chunk,
        Buffer.from(' '),
        chunk,
      ]);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'payload_too_large', message: `the body is larger than ${MAX_WEBHOOK_BYTES} bytes` });
      expect(s.stored).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('refuses a POST without a signature before reading its body', async () => {
    const s = await serve(() => Promise.resolve());
    try {
      // A declared body that never comes: only an answer that does not wait for it can arrive.
      const res = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/', headers: { 'content-length': '1000' } }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
        req.write('{');
      });
      expect(res).toBe(401);
      expect(s.stored).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('stores the signature header with the bytes, so they can be checked again later', async () => {
    const s = await serve(() => Promise.resolve());
    try {
      const signature = signPayload(SECRET, BODY);
      expect((await post(s.port, { 'x-hub-signature-256': signature, 'content-type': 'application/json' }, [BODY])).status).toBe(200);
      expect(s.stored[0]).toMatchObject({ signature, signedWith: 'current', contentType: 'application/json' });
      expect(s.stored[0]?.body.equals(BODY)).toBe(true);
      expect(s.kicks()).toBe(1);
    } finally {
      await s.close();
    }
  });
});
