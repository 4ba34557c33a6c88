// How soon an open operator page learns of a code: from the moment Twilio posts what it heard to
// the moment the page's event stream carries the code. Against a bare node:http server that
// pushes an event to its stream as soon as a POST arrives, in the same run; then again while
// Meta's POSTs keep the service busy. Only 127.0.0.1; bounded by the number of calls.
// Run: npm run bench:page      (BENCH_CALLS, BENCH_WEBHOOK_CONCURRENCY to change it)
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import twilio from 'twilio';
import { freePort } from '../src/embedded/free-port';
import { samplePayload } from '../src/embedded/sample-webhook-events';
import { SAMPLE_PHONE_NUMBER_ID, SAMPLE_WABA_ID } from '../src/embedded/simulated-meta-webhook';
import { createService } from '../src/service';
import { signPayload } from '../src/whatsapp/sign';
import { BENCH_SECRETS, benchConfig, machine, markdownTable, mib } from './common';

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const WEBHOOK_CONCURRENCY = Number(process.env.BENCH_WEBHOOK_CONCURRENCY ?? 16);
const agent = new http.Agent({ keepAlive: true });

interface Row {
  name: string;
  p50: number;
  p95: number;
  max: number;
  note: string;
}

function post(url: string, headers: Record<string, string>, body: string | Buffer): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An event stream, read as it comes: `waitFor(text)` resolves when a later event holds `text`. */
function openStream(url: string, headers: Record<string, string>): Promise<{ waitFor(text: string): Promise<void>; close(): void }> {
  return new Promise((resolve, reject) => {
    const waiting: Array<{ text: string; done: () => void }> = [];
    let buffer = '';
    const req = http.get(url, { headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`stream: HTTP ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const w of [...waiting]) {
            if (event.includes(w.text)) {
              waiting.splice(waiting.indexOf(w), 1);
              w.done();
            }
          }
        }
      });
      resolve({
        waitFor: (text) => new Promise<void>((done) => waiting.push({ text, done })),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

function summary(name: string, latencies: number[], note: string): Row {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { name, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? NaN, note };
}

/** The floor: a POST is turned into an event on the stream, with nothing stored or rendered. */
async function bareFloor(): Promise<Row> {
  const streams = new Set<http.ServerResponse>();
  const bare = http.createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      streams.add(res);
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.end();
      for (const s of streams) s.write(`event: checklist\ndata: ${body}\n\n`);
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
  const stream = await openStream(url, {});
  const latencies: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const code = String(100000 + i);
    const started = performance.now();
    const arrived = stream.waitFor(code);
    await post(url, { 'content-type': 'text/plain' }, code);
    await arrived;
    latencies.push(performance.now() - started);
  }
  stream.close();
  for (const s of streams) s.end();
  await new Promise((resolve) => bare.close(resolve));
  return summary('bare node:http', latencies, 'POST → event, nothing stored');
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-bench-page-'));
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  // Every call forwarded, as Meta's is: past the default hourly budget (10), calls are only stored.
  const config = benchConfig({ DATA_DIR: dataDir, PUBLIC_URL: publicUrl, CALL_FORWARD_LIMIT: String(Math.max(1, Math.min(1000, CALLS))) });
  const service = await createService(config, { logger: pino({ level: 'silent' }) });
  await service.listen(port, '127.0.0.1');

  const login = await post(`${publicUrl}/login`, { 'content-type': 'application/x-www-form-urlencoded' }, `token=${BENCH_SECRETS.ADMIN_TOKEN}`);
  const cookie = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
  const stream = await openStream(`${publicUrl}/api/live`, { cookie });

  const twilioPost = (pathAndQuery: string, params: Record<string, string>) =>
    post(
      publicUrl + pathAndQuery,
      {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(BENCH_SECRETS.TWILIO_AUTH_TOKEN, publicUrl + pathAndQuery, params),
      },
      new URLSearchParams(params).toString(),
    );
  let callNumber = 0;
  /** One verification call; the time from Twilio's POST of the code to the code on the page. */
  const oneCall = async (): Promise<number> => {
    const n = callNumber++;
    const call = { CallSid: `CA${String(n).padStart(32, '0')}`, From: '+16505550100', To: BENCH_SECRETS.TWILIO_PHONE_NUMBER, CallStatus: 'in-progress' };
    await twilioPost('/twilio/voice', call);
    // Meta's robot speaks for seconds before Twilio posts what it heard; a pause longer than the
    // page's render interval keeps the answer's own render from delaying the code's.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const code = String(200000 + n);
    const started = performance.now();
    const arrived = stream.waitFor(`>${code}</p>`);
    await twilioPost('/twilio/gather?listen=1', { ...call, SpeechResult: code.split('').join(' ') });
    await arrived;
    return performance.now() - started;
  };

  const rows: Row[] = [await bareFloor()];
  const idle: number[] = [];
  for (let i = 0; i < CALLS; i++) idle.push(await oneCall());
  rows.push(summary('operator page, idle', idle, 'store the code, re-render, push'));

  // Meta's POSTs, back to back from several connections, while the calls go on.
  let loading = true;
  let webhookPosts = 0;
  const origin = { wabaId: SAMPLE_WABA_ID, phoneNumberId: SAMPLE_PHONE_NUMBER_ID, displayPhoneNumber: '15005550006', at: new Date() };
  const load = Promise.all(
    Array.from({ length: WEBHOOK_CONCURRENCY }, async () => {
      while (loading) {
        const body = samplePayload('text', origin);
        await post(`${publicUrl}/webhooks/whatsapp`, { 'content-type': 'application/json', 'x-hub-signature-256': signPayload(BENCH_SECRETS.WHATSAPP_APP_SECRET, body) }, body);
        webhookPosts++;
      }
    }),
  );
  const busyStarted = performance.now();
  const busy: number[] = [];
  for (let i = 0; i < CALLS; i++) busy.push(await oneCall());
  loading = false;
  await load;
  const rate = webhookPosts / ((performance.now() - busyStarted) / 1000);
  rows.push(summary('operator page, under webhook load', busy, `${rate.toFixed(0)} Meta POSTs/s alongside`));

  const floor = rows[0] as Row;
  process.stdout.write(
    `${[
      `${machine()}; ${CALLS} calls per row, one page connected`,
      markdownTable(
        ['target', 'p50 ms', 'p95 ms', 'max ms', 'p50 vs bare', 'what happens'],
        rows.map((r) => [r.name, r.p50.toFixed(2), r.p95.toFixed(2), r.max.toFixed(2), (r.p50 / floor.p50).toFixed(1), r.note]),
      ),
      `rss after the run: ${mib(process.memoryUsage().rss)}`,
    ].join('\n')}\n`,
  );
  stream.close();
  agent.destroy();
  await service.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String(error)}\n`);
  process.exit(1);
});
