import type { HostileCase, Status } from './hostile-corpus';
import { exchange, type Outcome } from './raw-http';
import { twimlProblems } from './twiml-check';

/** What is kept of one request once it is answered: small, so rounds can be compared for leaks. */
export interface Result {
  category: HostileCase['category'];
  name: string;
  method: string;
  target: string;
  status: Status;
  /** What was wrong with the answer: a 5xx, a status this case may not get, a wrong or leaking body. */
  problems: string[];
  /** For Twilio's routes: what is wrong with the TwiML (empty when it is clean). */
  twiml?: string[];
  stores?: HostileCase['stores'];
  call?: HostileCase['call'];
  /** How long the exchange took, connection to close. */
  ms: number;
}

/** Sends every case, `concurrency` at a time, each on its own connection; results in case order. */
export async function sendAll(port: number, cases: HostileCase[], options: { concurrency: number; publicUrl: string }): Promise<Result[]> {
  const results: Result[] = new Array<Result>(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const at = next++;
      const c = cases[at] as HostileCase;
      const started = Date.now();
      const outcome = await exchange(port, c);
      results[at] = { ...judge(c, outcome, options.publicUrl), ms: Date.now() - started };
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return results;
}

function judge(c: HostileCase, outcome: Outcome, publicUrl: string): Omit<Result, 'ms'> {
  const problems: string[] = [];
  const { status } = outcome;
  if (typeof status === 'number' && status >= 500) problems.push(`a ${status}`);
  if (!c.expect.includes(status)) problems.push(`expected ${c.expect.join(' or ')}`);
  if (status === 'no-answer' || (status === 'reset' && !c.expect.includes('reset'))) problems.push(outcome.detail);
  const body = 'body' in outcome ? outcome.body.toString('utf8') : '';
  if (status === 200 && c.expectBody !== undefined && body !== c.expectBody) problems.push(`a body of ${body.length} characters, not the challenge`);
  for (const leak of c.mustNotContain ?? []) if (body.includes(leak)) problems.push(`the answer shows ${JSON.stringify(leak)}`);
  const result: Omit<Result, 'ms'> = { category: c.category, name: c.name, method: c.method, target: c.target.slice(0, 100), status, problems, stores: c.stores, call: c.call };
  // Twilio gets TwiML whatever happened, except a HEAD (no body) and requests Node itself refused.
  if (c.category.startsWith('twilio') && 'body' in outcome && c.method === 'POST') {
    const type = outcome.headers['content-type'] ?? '';
    result.twiml = type.startsWith('text/xml') ? twimlProblems(body, publicUrl) : [`answered ${type || 'no Content-Type'}, not TwiML`];
    // Nothing a caller sent may come back: not the foreign host, not the number dialled.
    for (const echoed of ['evil.example', '19005550199', 'attacker']) if (body.includes(echoed)) result.twiml.push(`echoes "${echoed}"`);
  }
  return result;
}

/** One line per failed request: method, target, case name and what went wrong. */
export function describeFailures(results: Result[], pick: (r: Result) => string[]): string {
  return results
    .map((r) => ({ r, problems: pick(r) }))
    .filter(({ problems }) => problems.length > 0)
    .map(({ r, problems }) => `${r.method} ${r.target.slice(0, 60)} [${r.category}: ${r.name}] -> ${r.status}: ${problems.join('; ')}`)
    .join('\n');
}

/** Status counts per category: `{ 'meta signature': { 401: 972 }, ... }`. */
export function statusTable(results: Result[]): Record<string, Record<string, number>> {
  const table: Record<string, Record<string, number>> = {};
  for (const r of results) {
    const row = (table[r.category] ??= {});
    row[String(r.status)] = (row[String(r.status)] ?? 0) + 1;
  }
  return table;
}
