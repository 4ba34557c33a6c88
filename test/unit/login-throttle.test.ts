import { LoginThrottle, TooManyLoginsError, type LoginThrottleOptions } from '../../src/page/login-throttle';

/**
 * A sleep that records each requested wait. It resolves at once, unless `hold()` was called:
 * then each wait stays pending until `release()` ends the oldest one.
 */
function fakeSleep() {
  const requested: number[] = [];
  const waiting: Array<() => void> = [];
  let holding = false;
  return {
    requested,
    sleep(ms: number): Promise<void> {
      requested.push(ms);
      if (!holding) return Promise.resolve();
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    hold(): void {
      holding = true;
    },
    /** Ends the oldest pending wait. */
    release(): void {
      const next = waiting.shift();
      if (!next) throw new Error('no sleep is pending');
      next();
    },
    get pending(): number {
      return waiting.length;
    },
  };
}

/** Lets every promise callback that can run, run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const wrong = () => false;
const right = () => true;

let clock: number;
let sleeper: ReturnType<typeof fakeSleep>;

function throttle(options: Partial<LoginThrottleOptions> = {}): LoginThrottle {
  return new LoginThrottle({ sleep: (ms) => sleeper.sleep(ms), now: () => clock, ...options });
}

async function failTimes(t: LoginThrottle, client: string, times: number): Promise<void> {
  for (let n = 0; n < times; n++) expect(await t.attempt(client, wrong)).toBe(false);
}

beforeEach(() => {
  clock = 1_000_000;
  sleeper = fakeSleep();
});

describe('the wait after a failed sign-in', () => {
  it('answers a correct check at once, without waiting', async () => {
    expect(await throttle().attempt('10.0.0.1', right)).toBe(true);
    expect(sleeper.requested).toEqual([]);
  });

  it('waits 500 ms after a first failure and doubles with each further one', async () => {
    await failTimes(throttle(), '10.0.0.1', 5);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
  });

  it('never waits longer than 10 s by default', async () => {
    await failTimes(throttle(), '10.0.0.1', 8);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  it('follows baseDelayMs and maxDelayMs when given', async () => {
    await failTimes(throttle({ baseDelayMs: 100, maxDelayMs: 300 }), '10.0.0.1', 4);
    expect(sleeper.requested).toEqual([100, 200, 300, 300]);
  });

  it('does not resolve a failed attempt before its wait is over', async () => {
    sleeper.hold();
    let answered = false;
    const attempt = throttle()
      .attempt('10.0.0.1', wrong)
      .then((ok) => {
        answered = true;
        return ok;
      });
    await settle();
    expect(answered).toBe(false);

    sleeper.release();
    expect(await attempt).toBe(false);
  });

  it('starts afresh after a success: the next failure waits the base delay again', async () => {
    const t = throttle();
    await failTimes(t, '10.0.0.1', 3);
    expect(await t.attempt('10.0.0.1', right)).toBe(true);
    await failTimes(t, '10.0.0.1', 1);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000, 500]);
  });

  it('counts the failures of each client apart', async () => {
    const t = throttle();
    await failTimes(t, '10.0.0.1', 3);
    await failTimes(t, '10.0.0.2', 1);
    await failTimes(t, '10.0.0.1', 1);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000, 500, 4_000]);
  });
});

describe('one client at a time', () => {
  it('does not start a second check before the first attempt has finished its wait', async () => {
    sleeper.hold();
    const t = throttle();
    const first = t.attempt('10.0.0.1', wrong);
    const second = jest.fn(right);
    const next = t.attempt('10.0.0.1', second);
    await settle();
    expect(sleeper.pending).toBe(1);
    expect(second).not.toHaveBeenCalled();

    sleeper.release();
    expect(await first).toBe(false);
    expect(await next).toBe(true);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('makes parallel wrong guesses wait one after the other, each longer', async () => {
    sleeper.hold();
    const t = throttle();
    const guesses = [t.attempt('10.0.0.1', wrong), t.attempt('10.0.0.1', wrong), t.attempt('10.0.0.1', wrong)];
    for (let n = 0; n < 3; n++) {
      await settle();
      expect(sleeper.pending).toBe(1);
      sleeper.release();
    }
    expect(await Promise.all(guesses)).toEqual([false, false, false]);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000]);
  });

  it('does not hold a client behind another client that is waiting', async () => {
    sleeper.hold();
    const t = throttle();
    const slow = t.attempt('10.0.0.1', wrong);
    expect(await t.attempt('10.0.0.2', right)).toBe(true);

    sleeper.release();
    expect(await slow).toBe(false);
  });

  it('refuses at once the attempt beyond maxQueued, without running its check', async () => {
    sleeper.hold();
    const t = throttle({ maxQueued: 2 });
    const first = t.attempt('10.0.0.1', wrong);
    const second = t.attempt('10.0.0.1', right);
    const refusedCheck = jest.fn(right);

    // Still refused while the first attempt waits: the refusal does not queue.
    await expect(t.attempt('10.0.0.1', refusedCheck)).rejects.toBeInstanceOf(TooManyLoginsError);
    expect(refusedCheck).not.toHaveBeenCalled();

    sleeper.release();
    expect(await first).toBe(false);
    expect(await second).toBe(true);
  });

  it('accepts attempts again once the queue has drained', async () => {
    sleeper.hold();
    const t = throttle({ maxQueued: 1 });
    const first = t.attempt('10.0.0.1', wrong);
    await expect(t.attempt('10.0.0.1', right)).rejects.toThrow('too many sign-ins at once from this address');

    sleeper.release();
    await first;
    expect(await t.attempt('10.0.0.1', right)).toBe(true);
  });

  it('counts the queue of each client apart', async () => {
    sleeper.hold();
    const t = throttle({ maxQueued: 1 });
    const first = t.attempt('10.0.0.1', wrong);
    expect(await t.attempt('10.0.0.2', right)).toBe(true);

    sleeper.release();
    await first;
  });
});

describe('a check that throws', () => {
  it('rejects that attempt and still runs the next one of the client', async () => {
    const t = throttle({ maxQueued: 1 });
    await expect(
      t.attempt('10.0.0.1', () => {
        throw new Error('the session store is down');
      }),
    ).rejects.toThrow('the session store is down');
    expect(await t.attempt('10.0.0.1', right)).toBe(true);
  });

  it('rejects on an asynchronous failure without holding the attempt queued behind it', async () => {
    const t = throttle();
    const failing = t.attempt('10.0.0.1', () => Promise.reject(new Error('timeout')));
    const next = t.attempt('10.0.0.1', right);
    await expect(failing).rejects.toThrow('timeout');
    expect(await next).toBe(true);
  });

  it('neither counts as a failure nor waits', async () => {
    const t = throttle();
    await expect(t.attempt('10.0.0.1', () => Promise.reject(new Error('timeout')))).rejects.toThrow();
    await failTimes(t, '10.0.0.1', 1);
    expect(sleeper.requested).toEqual([500]);
  });
});

describe('forgetting clients', () => {
  it('starts afresh with a client whose last failure is older than forgetAfterMs', async () => {
    const t = throttle({ forgetAfterMs: 60_000 });
    await failTimes(t, '10.0.0.1', 2);
    clock += 60_001;
    await failTimes(t, '10.0.0.1', 1);
    expect(sleeper.requested).toEqual([500, 1_000, 500]);
  });

  it('still remembers a client whose last failure is exactly forgetAfterMs old', async () => {
    const t = throttle({ forgetAfterMs: 60_000 });
    await failTimes(t, '10.0.0.1', 2);
    clock += 60_000;
    await failTimes(t, '10.0.0.1', 1);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000]);
  });

  it('measures forgetAfterMs from the latest failure, not the first', async () => {
    const t = throttle({ forgetAfterMs: 60_000 });
    await failTimes(t, '10.0.0.1', 1);
    clock += 50_000;
    await failTimes(t, '10.0.0.1', 1);
    clock += 50_000;
    await failTimes(t, '10.0.0.1', 1);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000]);
  });

  it('remembers at most maxClients, forgetting the longest quiet first', async () => {
    const t = throttle({ maxClients: 2 });
    await failTimes(t, 'a', 1);
    await failTimes(t, 'b', 1);
    await failTimes(t, 'c', 1); // b and c remembered; a forgotten
    await failTimes(t, 'c', 1);
    await failTimes(t, 'a', 1);
    expect(sleeper.requested).toEqual([500, 500, 500, 1_000, 500]);
  });

  it('never forgets a client whose sign-in is still under way', async () => {
    sleeper.hold();
    const t = throttle({ maxClients: 1 });
    const first = t.attempt('a', wrong);
    await settle();
    const other = t.attempt('b', wrong);
    const again = t.attempt('a', wrong);
    await settle();
    sleeper.release(); // a's first wait
    await first;
    await settle();
    sleeper.release(); // b's wait
    sleeper.release(); // a's second wait
    expect(await Promise.all([other, again])).toEqual([false, false]);
    expect(sleeper.requested).toEqual([500, 500, 1_000]);
  });
});
