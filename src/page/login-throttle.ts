export interface LoginThrottleOptions {
  /** The wait after a client's first failed sign-in; it doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A client with no failure for this long starts afresh. */
  forgetAfterMs: number;
  /** Sign-ins of one client under way at once (the one running included); one more is refused at once. */
  maxQueued: number;
  /** Clients remembered at most; the longest quiet are forgotten first. */
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
  /** The end of the client's latest sign-in: the next one starts after it. */
  tail: Promise<unknown>;
}

/** The client already has `maxQueued` sign-ins waiting. */
export class TooManyLoginsError extends Error {
  constructor() {
    super('too many sign-ins at once from this address');
    this.name = 'TooManyLoginsError';
  }
}

/**
 * Slows down guessing the admin token. One client's sign-ins run one at a time, and a failed one
 * answers only after a wait that doubles with each failure (500 ms, 1 s, 2 s, ... up to 10 s), so
 * parallel guesses queue behind each other rather than racing. A success clears the record.
 */
export class LoginThrottle {
  private readonly options: LoginThrottleOptions;
  private readonly clients = new Map<string, ClientRecord>();

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...DEFAULT_LOGIN_THROTTLE, ...options };
  }

  /** Runs `check` in `client`'s turn; resolves to its answer, after the wait when it is false. */
  attempt(client: string, check: () => boolean | Promise<boolean>): Promise<boolean> {
    const record = this.recordOf(client);
    if (record.queued >= this.options.maxQueued) return Promise.reject(new TooManyLoginsError());
    record.queued++;
    const run = record.tail.then(async () => {
      try {
        if (await check()) {
          record.failures = 0;
          return true;
        }
        record.failures++;
        record.lastFailureAt = this.options.now();
        await this.options.sleep(this.delayFor(record.failures));
        return false;
      } finally {
        record.queued--;
      }
    });
    record.tail = run.catch(() => undefined);
    return run;
  }

  /** The wait after the `failures`th failure in a row. */
  delayFor(failures: number): number {
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.max(0, failures - 1));
  }

  private recordOf(client: string): ClientRecord {
    const now = this.options.now();
    let record = this.clients.get(client);
    if (record && record.queued === 0 && now - record.lastFailureAt > this.options.forgetAfterMs) {
      this.clients.delete(client);
      record = undefined;
    }
    if (!record) {
      record = { failures: 0, lastFailureAt: now, queued: 0, tail: Promise.resolve() };
      this.forgetQuietest();
    }
    // Re-inserted, so the Map's order is from the longest quiet to the latest seen.
    this.clients.delete(client);
    this.clients.set(client, record);
    return record;
  }

  private forgetQuietest(): void {
    for (const [client, record] of this.clients) {
      if (this.clients.size < this.options.maxClients) return;
      if (record.queued === 0) this.clients.delete(client);
    }
  }
}
