export interface LoginThrottleOptions {
  /** The wait after a client's first failed sign-in; it doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A client with no failure for this long starts afresh. */
  forgetAfterMs: number;
  /** Failed sign-ins of one client waiting at once; one more is refused at once. */
  maxQueued: number;
  /**
   * Clients remembered at most; the longest quiet are forgotten first. A client with failures still
   * waiting is never forgotten (its waits would start over), so a new client finding only such
   * clients is refused at once instead of remembered.
   */
  maxClients: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  forgetAfterMs: 15 * 60_000,
  maxQueued: 3,
  maxClients: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

interface ClientRecord {
  failures: number;
  lastFailureAt: number;
  queued: number;
  /** The end of the client's latest wait: the next failure's wait starts after it. */
  tail: Promise<unknown>;
}

/** The client already has `maxQueued` failed sign-ins waiting, or `maxClients` others all have some. */
export class TooManyLoginsError extends Error {
  constructor(message = 'too many failed sign-ins at once from this address') {
    super(message);
    this.name = 'TooManyLoginsError';
  }
}

/**
 * Slows down guessing the admin token. A wrong token is answered only after a wait that doubles
 * with each failure of the same client (500 ms, 1 s, 2 s, ... up to 10 s), and one client's waits
 * run one after another, so parallel guesses queue rather than race; past `maxQueued` they are
 * refused at once. The right token is never held up: it is checked before any of this, so nobody
 * sharing the operator's address (a proxy's) can lock the operator out by guessing.
 */
export class LoginThrottle {
  private readonly options: LoginThrottleOptions;
  private readonly records = new Map<string, ClientRecord>();
  /** The clients remembered with no failure waiting, longest quiet first: the ones that may be forgotten. */
  private readonly quiet = new Set<string>();

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...DEFAULT_LOGIN_THROTTLE, ...options };
  }

  /**
   * Counts a wrong token from `client`; resolves when its wait is over, after the waits of the
   * client's earlier failures. Rejects at once with `TooManyLoginsError` when `maxQueued` of them
   * are already waiting.
   */
  failed(client: string): Promise<void> {
    const record = this.recordOf(client);
    if (!record) return Promise.reject(new TooManyLoginsError('too many addresses are failing to sign in at once'));
    if (record.queued >= this.options.maxQueued) return Promise.reject(new TooManyLoginsError());
    if (record.queued++ === 0) this.quiet.delete(client);
    record.failures++;
    record.lastFailureAt = this.options.now();
    const delay = this.delayFor(record.failures);
    const wait = record.tail.then(() => this.options.sleep(delay)).finally(() => {
      if (--record.queued === 0) this.quiet.add(client);
    });
    record.tail = wait.catch(() => undefined);
    return wait;
  }

  /** The right token from `client`: its failures are forgotten. */
  succeeded(client: string): void {
    const record = this.records.get(client);
    if (record) record.failures = 0;
  }

  /** How many clients are remembered now: never more than `maxClients`. */
  get clients(): number {
    return this.records.size;
  }

  /** The wait after the `failures`th failure in a row. */
  delayFor(failures: number): number {
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.max(0, failures - 1));
  }

  /** The client's record, made if need be; null when it is new and no one can be forgotten for it. */
  private recordOf(client: string): ClientRecord | null {
    const now = this.options.now();
    let record = this.records.get(client);
    if (record && record.queued === 0 && now - record.lastFailureAt > this.options.forgetAfterMs) {
      this.forget(client);
      record = undefined;
    }
    if (record) return record;
    // Only quiet clients are forgotten, so each one costs a single step, however many are busy.
    for (const longestQuiet of this.quiet) {
      if (this.records.size < this.options.maxClients) break;
      this.forget(longestQuiet);
    }
    // Every client remembered still has failures waiting: remembering one more would let the map
    // grow without bound under a flood from many addresses. Each of them is done within
    // maxQueued × maxDelayMs, and the right token never comes this way.
    if (this.records.size >= this.options.maxClients) return null;
    record = { failures: 0, lastFailureAt: now, queued: 0, tail: Promise.resolve() };
    this.records.set(client, record);
    return record;
  }

  private forget(client: string): void {
    this.records.delete(client);
    this.quiet.delete(client);
  }
}

/**
 * Who a failed sign-in is counted against: the IPv4 address, or the /64 of an IPv6 one (one
 * client commonly holds a whole /64, so counting single addresses would let it rotate freely).
 * Behind a proxy every visitor shares the proxy's address: the waits are shared, but the right
 * token is never held up by them.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const plain = address.replace(/%.*$/, '').replace(/^::ffff:(?=\d+\.)/i, '');
  if (!plain.includes(':')) return plain;
  // An IPv4 tail (64:ff9b::1.2.3.4) is two groups of sixteen bits.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(plain);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    return clientKey(`${plain.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
  }
  const [head = '', tail = ''] = plain.split('::');
  const before = head ? head.split(':') : [];
  const after = tail ? tail.split(':') : [];
  const groups = plain.includes('::') ? [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after] : before;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
