import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForwardJob } from '../../src/store/webhook-store';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { FORWARD_SIGNATURE_HEADER, ForwardError, handlerSink, urlSink } from '../../src/whatsapp/sinks';
import { signPayload } from '../../src/whatsapp/sign';

const SECRET = 'forwarding-secret-for-tests-0123';

const EVENT: WhatsAppEvent = {
  id: 'message:wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=',
  kind: 'message',
  type: 'text',
  field: 'messages',
  wabaId: '102290129340398',
  phoneNumberId: '106540352242922',
  displayPhoneNumber: '15550783881',
  timestamp: '2025-02-12T00:43:44.000Z',
  receivedAt: '2025-02-12T00:43:45.000Z',
  from: '16505551234',
  contact: { waId: '16505551234', name: 'Zoë Ança' },
  data: { type: 'text', text: { body: '¿Abren mañana? 9/18 📦' } },
};

const JOB: ForwardJob = {
  id: 7,
  target: 'set per test',
  lane: '106540352242922',
  attempts: 0,
  eventId: EVENT.id,
  body: JSON.stringify(EVENT),
  createdAt: new Date('2025-02-12T00:43:45.000Z'),
  queuedAt: new Date('2025-02-12T00:43:45.000Z'),
};

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A receiver on 127.0.0.1: records every request and answers with `answer(request)`. */
interface Receiver {
  url: string;
  received: Received[];
  answer: (request: Received, response: http.ServerResponse) => void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    received: [],
    answer: (_request, response) => response.writeHead(200).end(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      receiver.received.push(request);
      receiver.answer(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/whatsapp`;
  return receiver;
}

/** The ForwardError a delivery failed with. */
async function failureOf(delivery: Promise<void>): Promise<ForwardError> {
  try {
    await delivery;
  } catch (error) {
    expect(error).toBeInstanceOf(ForwardError);
    return error as ForwardError;
  }
  throw new Error('expected the delivery to fail');
}

describe('urlSink', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const deliver = (job: ForwardJob = JOB, timeoutMs = 2_000) => urlSink(receiver.url, SECRET, { timeoutMs }).deliver(job, new AbortController().signal);

  it('is named by its URL', () => {
    expect(urlSink(receiver.url, SECRET, { timeoutMs: 2_000 }).target).toBe(receiver.url);
  });

  it('POSTs the stored body byte for byte, as JSON', async () => {
    await deliver();

    const request = receiver.received[0];
    expect(receiver.received).toHaveLength(1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hooks/whatsapp');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body.equals(Buffer.from(JOB.body, 'utf8'))).toBe(true);
  });

  it('signs the exact body it sends with the forwarding secret', async () => {
    await deliver();

    const request = receiver.received[0];
    expect(request?.headers[FORWARD_SIGNATURE_HEADER]).toBe(signPayload(SECRET, request?.body ?? Buffer.alloc(0)));
    expect(request?.headers[FORWARD_SIGNATURE_HEADER]).toBe(signPayload(SECRET, JOB.body));
    expect(request?.headers[FORWARD_SIGNATURE_HEADER]).not.toBe(signPayload('another-secret', JOB.body));
  });

  it('sends the event id as the idempotency key', async () => {
    await deliver();
    expect(receiver.received[0]?.headers['idempotency-key']).toBe(EVENT.id);
  });

  it.each([200, 201, 202, 204])('resolves when the target answers %i', async (status) => {
    receiver.answer = (_request, response) => response.writeHead(status).end();
    await expect(deliver()).resolves.toBeUndefined();
  });

  it.each([500, 502, 503, 429, 401, 403, 404, 408])('fails for now, to be retried, when the target answers %i', async (status) => {
    receiver.answer = (_request, response) => response.writeHead(status).end('{"error":"later"}');
    const failure = await failureOf(deliver());
    expect(failure.permanent).toBe(false);
    expect(failure.message).toBe(`the target answered HTTP ${status}`);
  });

  it.each([400, 410, 413, 422])('fails for good when the target answers %i', async (status) => {
    receiver.answer = (_request, response) => response.writeHead(status).end();
    const failure = await failureOf(deliver());
    expect(failure.permanent).toBe(true);
    expect(failure.message).toBe(`the target answered HTTP ${status}`);
  });

  /**
   * Answers `status`, then a body of `bytes` (Infinity: it never ends) as fast as the client takes
   * it; `sent` resolves to the bytes handed to the socket once the response closes.
   */
  function answerBody(status: number, bytes: number): { sent: Promise<number> } {
    let done: (sent: number) => void = () => undefined;
    const sent = new Promise<number>((resolve) => (done = resolve));
    receiver.answer = (_request, response) => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let written = 0;
      response.on('close', () => done(written));
      response.writeHead(status, { 'content-type': 'text/plain' });
      const pump = () => {
        while (!response.destroyed && written < bytes) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        if (written >= bytes) response.end();
      };
      pump();
    };
    return { sent };
  }

  // The forward's timeout would otherwise be the only bound: this one is ten minutes, so a sink
  // that reads the reply to its end never returns within the test.
  it('takes a 200 whose body never ends as delivered at once, reading only a few KB of it', async () => {
    const { sent } = answerBody(200, Infinity);
    await expect(deliver(JOB, 600_000)).resolves.toBeUndefined();
    // What the server got into the socket before the sink hung up: the kernel's buffers, no more.
    expect(await sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('fails for now on a 503 with a 256 MB body, without reading it', async () => {
    const { sent } = answerBody(503, 256 * 1024 * 1024);
    const failure = await failureOf(deliver(JOB, 600_000));
    expect(failure).toMatchObject({ permanent: false, message: 'the target answered HTTP 503' });
    expect(await sent).toBeLessThan(16 * 1024 * 1024);
  });

  /** A URL on 127.0.0.1 where nothing listens (a port just closed, never connected to). */
  async function deadUrl(): Promise<string> {
    const url = receiver.url;
    await receiver.close();
    receiver = await startReceiver(); // for afterEach
    return url;
  }

  // Under jest, fetch's errors come from another realm than the test's `Error`, so the exact
  // wording is pinned down by the it.failing test below; these hold in either realm.
  it('fails for now when nothing listens, saying the target could not be reached', async () => {
    const failure = await failureOf(urlSink(await deadUrl(), SECRET, { timeoutMs: 2_000 }).deliver(JOB, new AbortController().signal));
    expect(failure.permanent).toBe(false);
    expect(failure.message).toMatch(/^could not reach the target: .*(ECONNREFUSED|fetch failed)/);
  });

  it('fails for now when the target never answers, saying it timed out', async () => {
    receiver.answer = () => undefined;
    const failure = await failureOf(deliver(JOB, 100));
    expect(failure.permanent).toBe(false);
    expect(failure.message).toMatch(/^could not reach the target: .*(timed out|due to timeout)/);
  });

  it('fails for now when the service stops during the POST, so the event stays owed', async () => {
    receiver.answer = () => undefined;
    const stopping = new AbortController();
    const delivery = urlSink(receiver.url, SECRET, { timeoutMs: 2_000 }).deliver(JOB, stopping.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    stopping.abort();
    const failure = await failureOf(delivery);
    expect(failure.permanent).toBe(false);
    expect(failure.message).toMatch(/^could not reach the target: .*(stopped with the service|AbortError)/);
  });

  // causeOf() tests `error instanceof Error`, which is false for an Error made in another realm
  // (jest's sandbox, a vm context): the reason then falls back to "TypeError: fetch failed".
  it('names why the target could not be reached, even for errors from another realm', async () => {
    const refused = await failureOf(urlSink(await deadUrl(), SECRET, { timeoutMs: 2_000 }).deliver(JOB, new AbortController().signal));
    expect(refused.message).toBe('could not reach the target: ECONNREFUSED');
    receiver.answer = () => undefined;
    expect((await failureOf(deliver(JOB, 100))).message).toBe('could not reach the target: timed out');
  });

  // A plain-HTTP URL redirected to HTTPS (301/302) is common; fetch then follows with a GET and no
  // body, and a receiver that answers GET with 200 (a health page, Meta's challenge) would make a
  // lost event count as delivered.
  it('does not count a POST redirected into a bodiless GET as delivered', async () => {
    receiver.answer = (request, response) => {
      if (request.method === 'POST') response.writeHead(302, { location: '/health' }).end();
      else response.writeHead(200).end('ok');
    };
    const failure = await failureOf(deliver());
    expect(failure.permanent).toBe(false);
    expect(receiver.received.map((r) => r.method)).toEqual(['POST']);
  });

  // recordedTarget exists because targets may carry credentials, but fetch refuses any URL with
  // them ("Request cannot be constructed from a URL that includes credentials"): every attempt
  // fails as transient, and the lane is retried forever without one request leaving.
  it('delivers to a URL with user:pass, sending them as basic auth, and records the target without them', async () => {
    const withCredentials = receiver.url.replace('http://', 'http://hook-user:s3cret@');
    const sink = urlSink(withCredentials, SECRET, { timeoutMs: 2_000 });
    expect(sink.target).toBe(receiver.url);
    await sink.deliver(JOB, new AbortController().signal);
    expect(receiver.received[0]?.headers.authorization).toBe(`Basic ${Buffer.from('hook-user:s3cret').toString('base64')}`);
  });
});

const HANDLER = { timeoutMs: 2_000 };

describe('handlerSink', () => {
  it('is named in-process', () => {
    expect(handlerSink(() => undefined, HANDLER).target).toBe('in-process');
  });

  it('hands the handler the event, parsed from the stored body', async () => {
    const seen: WhatsAppEvent[] = [];
    await handlerSink((event) => void seen.push(event), HANDLER).deliver(JOB, new AbortController().signal);
    expect(seen).toEqual([EVENT]);
  });

  it('waits for an async handler to finish', async () => {
    let finished = false;
    await handlerSink(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      finished = true;
    }, HANDLER).deliver(JOB, new AbortController().signal);
    expect(finished).toBe(true);
  });

  it('turns a handler that throws into a failure to retry, naming the cause', async () => {
    const failure = await failureOf(
      handlerSink(() => {
        throw new Error('CRM is down');
      }, HANDLER).deliver(JOB, new AbortController().signal),
    );
    expect(failure.permanent).toBe(false);
    expect(failure.message).toBe('the onEvent handler threw: CRM is down');
  });

  it('turns a handler that rejects into a failure to retry', async () => {
    const failure = await failureOf(handlerSink(() => Promise.reject(new Error('CRM is down')), HANDLER).deliver(JOB, new AbortController().signal));
    expect(failure.permanent).toBe(false);
    expect(failure.message).toMatch(/CRM is down/);
  });

  it('gives up on a handler that never finishes, aborting its signal, so the event is retried', async () => {
    let seenSignal: AbortSignal | undefined;
    const failure = await failureOf(
      handlerSink((_event, signal) => {
        seenSignal = signal;
        return new Promise(() => undefined);
      }, { timeoutMs: 30 }).deliver(JOB, new AbortController().signal),
    );
    expect(failure.permanent).toBe(false);
    expect(failure.message).toMatch(/^the onEvent handler did not finish/);
    expect(seenSignal?.aborted).toBe(true);
  });
});
