// Load on the voice path: signed POST /twilio/voice and /twilio/gather (a new call and code each
// time, so every request stores a call, a code and its deliveries), against a bare node:http
// server answering fixed TwiML in the same run. Only 127.0.0.1; bounded by request count.
// Run: npm run bench:voice      (BENCH_REQUESTS, BENCH_CONCURRENCY to change the load)
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import twilio from 'twilio';
import { freePort } from '../src/embedded/free-port';
import { createService } from '../src/service';
import { BENCH_SECRETS, benchConfig, machine, markdownTable, mib } from './common';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const AUTH_TOKEN = BENCH_SECRETS.TWILIO_AUTH_TOKEN;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
}

function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function load(name: string, makeRequest: (i: number) => { url: string; headers: Record<string, string>; body: string }): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const r = makeRequest(next++);
        latencies.push(await post(r.url, r.headers, r.body));
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { name, rps: REQUESTS / seconds, p50: at(0.5), p99: at(0.99) };
}

function form(params: Record<string, string>) {
  return new URLSearchParams(params).toString();
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-bench-'));
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = benchConfig({ DATA_DIR: dataDir, PUBLIC_URL: publicUrl });
  const service = await createService(config, { logger: pino({ level: 'silent' }) });
  await service.listen(port, '127.0.0.1');

  const fixedTwiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>';
  const bare = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/xml' }).end(fixedTwiml));
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;

  const signed = (pathAndQuery: string, params: Record<string, string>) => ({
    url: publicUrl + pathAndQuery,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, publicUrl + pathAndQuery, params),
    },
    body: form(params),
  });
  const call = (i: number, extra: Record<string, string> = {}) => ({
    CallSid: `CA${String(i).padStart(32, '0')}`,
    From: '+16505550100',
    To: '+15005550006',
    CallStatus: 'in-progress',
    ...extra,
  });

  const results: Result[] = [];
  results.push(await load('bare node:http', () => ({ url: bareUrl, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(call(0)) })));
  results.push(await load('POST /twilio/voice', (i) => signed('/twilio/voice', call(i))));
  const code = (i: number) => String(100000 + (i % 900000)).split('').join(' ');
  results.push(await load('POST /twilio/gather (code)', (i) => signed('/twilio/gather?listen=1', call(i, { SpeechResult: `your code is ${code(i)}` }))));

  const floor = results[0] as Result;
  const lines = [
    `${machine()}; ${REQUESTS} requests, concurrency ${CONCURRENCY}`,
    markdownTable(
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'throughput vs bare'],
      results.map((r) => [r.name, r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), (r.rps / floor.rps).toFixed(2)]),
    ),
    `rss after the run: ${mib(process.memoryUsage().rss)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  agent.destroy();
  bare.close();
  await service.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String(error)}\n`);
  process.exit(1);
});
