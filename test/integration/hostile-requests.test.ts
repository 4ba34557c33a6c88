import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { callParams, PUBLIC_URL, startHarness, type Harness } from '../helpers/harness';
import { hostileCorpus } from '../helpers/hostile-corpus';
import { describeFailures, sendAll, statusTable, type Result } from '../helpers/hostile-run';
import { messageId, textBatch } from '../helpers/meta-payloads';
import type { ReceivedEmail } from '../../src/embedded/local-smtp-server';
import { injectedHeaderProblems } from '../helpers/injected-headers';
import { storeCounts, type StoreCounts } from '../helpers/store-counts';
import { twimlProblems } from '../helpers/twiml-check';

/**
 * A corpus of malformed and hostile requests against every public route, sent twice over real
 * HTTP to the real service (SQLite, SMTP and Twilio's API on loopback). Each round sends the whole
 * corpus; the heap after each is compared, so a leak per request shows. Set HOSTILE_REPORT to a
 * file name to get the status of every category written there.
 */

const ROUNDS = [1, 2];
const CONCURRENCY = 8;
/** Generous: this catches a leak per request (two rounds of ~1,100), not the GC's noise. */
const HEAP_GROWTH_LIMIT = 20 * 1024 * 1024;
/** NOTIFY_EMAIL_TO in the harness: the one recipient every email may have. */
const TEAM = 'team@example.com';

/**
 * Node's own process: Jest gives each test file a copy whose events the service's code never
 * reaches, so listeners on `process` here would hear nothing.
 */
const nodeProcess = vm.runInThisContext('process') as NodeJS.Process;

let h: Harness;
const processErrors: string[] = [];
const onProcessError = (error: unknown) => processErrors.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
const results: Result[] = [];
const heapAfter: number[] = [];
let heapBefore = 0;
const roundMs: number[] = [];
let before: StoreCounts;
let after: StoreCounts;

beforeAll(async () => {
  nodeProcess.on('unhandledRejection', onProcessError);
  nodeProcess.on('uncaughtException', onProcessError);
  // Wrong admin tokens wait a millisecond or two instead of seconds, so the run stays fast. Every
  // injected code must reach an email to be checked there, so the hourly budget is past the
  // corpus's calls (the budget under a flood is call-forwarding.test.ts's).
  h = await startHarness({ loginThrottle: { baseDelayMs: 1, maxDelayMs: 4 }, env: { LOG_LEVEL: 'warn', CALL_FORWARD_LIMIT: '1000' } });
  before = await storeCounts(h.store);
  heapBefore = await settledHeap();
  for (const round of ROUNDS) {
    const started = Date.now();
    results.push(...(await sendAll(portOf(h.url), hostileCorpus(round), { concurrency: CONCURRENCY, publicUrl: PUBLIC_URL })));
    roundMs.push(Date.now() - started);
    heapAfter.push(await settledHeap());
  }
  after = await storeCounts(h.store);
  if (process.env.HOSTILE_REPORT) writeReport(process.env.HOSTILE_REPORT);
}, 120_000);

afterAll(async () => {
  nodeProcess.off('unhandledRejection', onProcessError);
  nodeProcess.off('uncaughtException', onProcessError);
  await h.close();
});

it('sends over a thousand hostile requests, in every category', () => {
  expect(results.length).toBeGreaterThanOrEqual(1000);
  expect(Object.keys(statusTable(results)).sort()).toEqual(
    ['admin api', 'challenge', 'login', 'meta body', 'meta signature', 'meta size', 'methods', 'paths', 'twilio body', 'twilio caller', 'twilio injection', 'twilio signature', 'twilio size'].sort(),
  );
});

it('answers every one without a 5xx, with a status its case allows', () => {
  expect(describeFailures(results, (r) => r.problems)).toBe('');
});

it('answers Twilio with well-formed TwiML holding nothing a caller injected', () => {
  const twilioAnswers = results.filter((r) => r.twiml !== undefined);
  expect(twilioAnswers.length).toBeGreaterThan(300);
  expect(describeFailures(twilioAnswers, (r) => r.twiml ?? [])).toBe('');
});

it('lets no parameter add a header or a recipient to an email', async () => {
  await h.service.worker.idle();
  expect(h.smtp.received.length).toBeGreaterThanOrEqual(after.codes - before.codes);
  expect(h.smtp.received.length).toBeGreaterThan(0);
  expect(h.smtp.received.flatMap((email) => injectedHeaderProblems(email, [TEAM]))).toEqual([]);
});

it('stores exactly what it accepted: a refused request adds no inbox row, call or code', () => {
  const accepted = (r: Result) => typeof r.status === 'number' && r.status >= 200 && r.status < 300;
  const calls = results.filter((r) => r.stores === 'call');
  // PostgreSQL keeps a NUL as U+FFFD (its text cannot hold one): a CallSid is compared the same way.
  const asStored = (sid: string) => sid.replaceAll('\u0000', '\uFFFD');
  const storedSids = new Set(after.callSids.map(asStored));
  const misplaced = calls.filter((r) => storedSids.has(asStored(r.call?.sid ?? '')) !== (accepted(r) && r.call?.addsCall === true));
  expect(describeFailures(misplaced, () => ['its call is stored, or missing, against what it was answered'])).toBe('');
  expect(after.inbox - before.inbox).toBe(results.filter((r) => r.stores === 'inbox' && accepted(r)).length);
  expect(after.calls - before.calls).toBe(calls.filter((r) => accepted(r) && r.call?.addsCall).length);
  expect(after.codes - before.codes).toBe(calls.filter((r) => accepted(r) && r.call?.addsCode).length);
  // Every row the corpus added is authentic: a refused POST (bad signature) never got in.
  expect(after.unverifiedInboxRows).toEqual([]);
});

it('keeps its heap flat from one round of the corpus to the next', () => {
  const [first = 0, second = 0] = heapAfter;
  expect(second - first).toBeLessThan(HEAP_GROWTH_LIMIT);
});

it('still stores and dispatches a valid Meta POST, and answers a valid call, with no unhandled error', async () => {
  const body = textBatch(1, { first: 900_000 });
  const meta = await h.metaPost(body);
  expect(meta.status).toBe(200);
  const voice = await h.twilioPost('/twilio/voice', callParams('CAafterthecorpus'));
  expect(voice.status).toBe(200);
  const twiml = await voice.text();
  expect(twimlProblems(twiml, PUBLIC_URL)).toEqual([]);
  expect(twiml).toContain('<Gather');
  // Dispatch is not wedged by anything the corpus stored: the new event comes through.
  await h.service.dispatcher.runNow();
  const events = await h.events(500);
  expect(events.map((e) => e.id)).toContain(`message:${messageId(900_000)}`);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(processErrors).toEqual([]);
});

it('has checks that see an injection when there is one', () => {
  const twiml = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;
  expect(twimlProblems(twiml('<Say>a</Say><Hangup/>'), PUBLIC_URL)).toEqual([]);
  expect(twimlProblems(twiml('<Say>a</Say><Dial>+19005550199</Dial>'), PUBLIC_URL)).toEqual(['an element we never write: <Dial>']);
  expect(twimlProblems(twiml('<Redirect>https://evil.example/x</Redirect>'), PUBLIC_URL)).toEqual(['a Redirect to https://evil.example/x']);
  expect(twimlProblems(twiml('<Say>a & b</Say>'), PUBLIC_URL)).toEqual(['a bare "&" in text: a & b']);
  expect(twimlProblems(twiml('<Say>a</Gather>'), PUBLIC_URL)).not.toEqual([]);
  expect(twimlProblems(twiml('<Gather action="https://evil.example/g"/>'), PUBLIC_URL)).not.toEqual([]);
  const email = (extra: string[]): ReceivedEmail => ({ from: 'a@example.com', to: [TEAM], subject: 'x', text: '', headerLines: ['From: a@example.com', 'To: team@example.com', 'Subject: x', ...extra] });
  expect(injectedHeaderProblems(email([]), [TEAM])).toEqual([]);
  expect(injectedHeaderProblems(email(['Bcc: attacker@evil.example']), [TEAM])).toEqual(['a "bcc" header']);
  expect(injectedHeaderProblems(email(['Subject: pwned']), [TEAM])).toEqual(['"subject" twice']);
  expect(injectedHeaderProblems({ ...email([]), to: [TEAM, 'attacker@evil.example'] }, [TEAM])).toEqual([`sent to ${TEAM}, attacker@evil.example`]);
});

async function settledHeap(): Promise<number> {
  await h.service.worker.idle();
  await h.service.dispatcher.runNow();
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The status table, timings and heap numbers, and every result, for a person to read. */
function writeReport(file: string): void {
  const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 15).map((r) => `${r.ms} ms ${r.category}: ${r.name}`);
  const report = { requests: results.length, statuses: statusTable(results), roundMs, heapBefore, heapAfter, slowest, results };
  fs.writeFileSync(file, JSON.stringify(report, null, 1));
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}
