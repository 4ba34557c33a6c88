import http from 'node:http';
import { signPayload } from '../../../src/whatsapp/sign';
import { META } from '../../helpers/harness';
import { messageId, textBatch } from '../../helpers/meta-payloads';

/** What Meta saw of a run: which events were acknowledged, which were not, and how long the answers took. */
export interface LoadTally {
  /** Message ids answered 200: the service promised to keep them. */
  acknowledged: Set<string>;
  /** Message ids that got anything else (an error status, a reset, a refused connection): Meta would send them again. */
  unacknowledged: Set<string>;
  /** Statuses other than 200, by status (0: no answer at all). */
  otherStatuses: Map<number, number>;
  /** Milliseconds from sending to the end of each 200. */
  latenciesMs: number[];
}

export interface LoadOptions {
  url: string;
  /** Several instances behind a round-robin balancer: POST `n` goes to `urls[n % urls.length]` (default: `url` alone). */
  urls?: string[];
  /** Phone number ids: POST `n` carries a message of lane `lanes[n % lanes.length]` (default: the sample's one). */
  lanes?: string[];
  connections: number;
  /** The first message number; each POST carries one new message. */
  first?: number;
  /** Stop after this many POSTs have been sent (default: until `signal`). */
  count?: number;
  signal?: AbortSignal;
  /** Called after each 200, with how many so far. */
  onAcknowledged?: (count: number) => void;
}

/**
 * Meta at full speed: `connections` keep-alive connections, each posting one signed event after
 * another (every POST a new message id) until `count` or `signal`. A refused connection or a reset
 * is tallied, not thrown, so a test can crash the service mid-run and read what Meta was told.
 */
export async function postWebhooks(options: LoadOptions): Promise<LoadTally> {
  const tally: LoadTally = { acknowledged: new Set(), unacknowledged: new Set(), otherStatuses: new Map(), latenciesMs: [] };
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const urls = options.urls ?? [options.url];
  let next = options.first ?? 0;
  const last = options.count === undefined ? Infinity : next + options.count;
  const worker = async () => {
    while (next < last && !options.signal?.aborted) {
      const n = next++;
      const id = messageId(n);
      const started = performance.now();
      const status = await postOne(urls[n % urls.length] as string, agent, textBatch(1, { first: n, phoneNumberId: laneOf(n, options.lanes) }));
      if (status === 200) {
        tally.acknowledged.add(id);
        tally.latenciesMs.push(performance.now() - started);
        options.onAcknowledged?.(tally.acknowledged.size);
      } else {
        tally.unacknowledged.add(id);
        tally.otherStatuses.set(status, (tally.otherStatuses.get(status) ?? 0) + 1);
        // A refused connection fails at once; a pause keeps a dead service from spinning the loop.
        if (status === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  agent.destroy();
  return tally;
}

/** Posts one signed body; resolves with the status, or 0 when no answer came. */
export function postOne(url: string, agent: http.Agent, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      `${url}/webhooks/whatsapp`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'x-hub-signature-256': signPayload(META.appSecret, body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** The `q` quantile (0..1) of `values`, nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

/** The lane (phone number id) of message `n` of a load, or undefined for the sample's own. */
function laneOf(n: number, lanes: string[] | undefined): string | undefined {
  return lanes ? lanes[n % lanes.length] : undefined;
}

/** Meta's redelivery: each message of `ids` posted again, as the event it was, one at a time. */
export async function redeliver(url: string, ids: Iterable<string>, lanes?: string[]): Promise<LoadTally> {
  const tally: LoadTally = { acknowledged: new Set(), unacknowledged: new Set(), otherStatuses: new Map(), latenciesMs: [] };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (const id of ids) {
    const n = Number(id.replace(/^wamid\.TEST/, ''));
    const status = await postOne(url, agent, textBatch(1, { first: n, phoneNumberId: laneOf(n, lanes) }));
    if (status === 200) tally.acknowledged.add(id);
    else tally.unacknowledged.add(id);
  }
  agent.destroy();
  return tally;
}
