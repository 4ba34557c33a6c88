import { clientKey, LoginThrottle, TooManyLoginsError, type LoginThrottleOptions } from '../../src/page/login-throttle';

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

let clock: number;
let sleeper: ReturnType<typeof fakeSleep>;

function throttle(options: Partial<LoginThrottleOptions> = {}): LoginThrottle {
  return new LoginThrottle({ sleep: (ms) => sleeper.sleep(ms), now: () => clock, ...options });
}

/** `times` wrong tokens from `client`, one after another, each awaited. */
async function failTimes(t: LoginThrottle, client: string, times: number): Promise<void> {
  for (let n = 0; n < times; n++) await expect(t.failed(client)).resolves.toBeUndefined();
}

beforeEach(() => {
  clock = 1_000_000;
  sleeper = fakeSleep();
});

describe('the wait after a failed sign-in', () => {
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

  it('does not resolve a failure before its wait is over', async () => {
    sleeper.hold();
    let answered = false;
    const failure = throttle()
      .failed('10.0.0.1')
      .then(() => {
        answered = true;
      });
    await settle();
    expect(answered).toBe(false);

    sleeper.release();
    await failure;
    expect(answered).toBe(true);
  });

  it('counts the failures of each client apart', async () => {
    const t = throttle();
    await failTimes(t, '10.0.0.1', 3);
    await failTimes(t, '10.0.0.2', 1);
    await failTimes(t, '10.0.0.1', 1);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000, 500, 4_000]);
  });
});

describe('a successful sign-in', () => {
  it('starts afresh: the next failure waits the base delay again', async () => {
    const t = throttle();
    await failTimes(t, '10.0.0.1', 3);
    t.succeeded('10.0.0.1');
    await failTimes(t, '10.0.0.1', 2);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000, 500, 1_000]);
  });

  it('forgets only the failures of its own client', async () => {
    const t = throttle();
    await failTimes(t, '10.0.0.1', 2);
    t.succeeded('10.0.0.2');
    await failTimes(t, '10.0.0.1', 1);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000]);
  });

  it('never waits, even while failures of the same client are queued', async () => {
    sleeper.hold();
    const t = throttle();
    const queued = [t.failed('10.0.0.1'), t.failed('10.0.0.1')];
    await settle();
    expect(sleeper.pending).toBe(1);

    // Synchronous: the right token is answered before the queued wrong ones have finished waiting.
    expect(t.succeeded('10.0.0.1')).toBeUndefined();
    expect(sleeper.requested).toEqual([500]);

    sleeper.release();
    await settle();
    sleeper.release();
    await expect(Promise.all(queued)).resolves.toEqual([undefined, undefined]);
  });

  it('does not make the throttle remember a client that never failed', async () => {
    const t = throttle({ maxClients: 1 });
    await failTimes(t, 'a', 1);
    t.succeeded('b'); // were b remembered now, a would be forgotten to make room
    await failTimes(t, 'a', 1);
    expect(sleeper.requested).toEqual([500, 1_000]);
  });
});

describe('one client at a time', () => {
  it('makes parallel failures of one client wait one after the other, each longer', async () => {
    sleeper.hold();
    const t = throttle();
    const failures = [t.failed('10.0.0.1'), t.failed('10.0.0.1'), t.failed('10.0.0.1')];
    for (let n = 0; n < 3; n++) {
      await settle();
      // The next wait has not started: it starts when this one ends.
      expect(sleeper.pending).toBe(1);
      expect(sleeper.requested).toHaveLength(n + 1);
      sleeper.release();
    }
    await expect(Promise.all(failures)).resolves.toEqual([undefined, undefined, undefined]);
    expect(sleeper.requested).toEqual([500, 1_000, 2_000]);
  });

  it('does not hold a client behind another client that is waiting', async () => {
    sleeper.hold();
    const t = throttle();
    const first = t.failed('10.0.0.1');
    const second = t.failed('10.0.0.2');
    await settle();
    expect(sleeper.pending).toBe(2);

    sleeper.release();
    sleeper.release();
    await Promise.all([first, second]);
  });

  it('refuses at once the failure beyond maxQueued, which then neither waits nor counts', async () => {
    sleeper.hold();
    const t = throttle({ maxQueued: 2 });
    const first = t.failed('10.0.0.1');
    const second = t.failed('10.0.0.1');

    // Refused while the first failure still waits: the refusal does not queue.
    await expect(t.failed('10.0.0.1')).rejects.toBeInstanceOf(TooManyLoginsError);

    sleeper.release();
    await first;
    await settle();
    sleeper.release();
    await second;
    expect(sleeper.requested).toEqual([500, 1_000]);

    // The refused failure was not counted: the next one is the third, not the fourth.
    const third = t.failed('10.0.0.1');
    await settle();
    sleeper.release();
    await third;
    expect(sleeper.requested).toEqual([500, 1_000, 2_000]);
  });

  it('accepts failures again once the queue has drained', async () => {
    sleeper.hold();
    const t = throttle({ maxQueued: 1 });
    const first = t.failed('10.0.0.1');
    await expect(t.failed('10.0.0.1')).rejects.toThrow('too many failed sign-ins at once from this address');

    sleeper.release();
    await first;
    const next = t.failed('10.0.0.1');
    await settle();
    sleeper.release();
    await expect(next).resolves.toBeUndefined();
  });

  it('counts the queue of each client apart', async () => {
    sleeper.hold();
    const t = throttle({ maxQueued: 1 });
    const first = t.failed('10.0.0.1');
    const other = t.failed('10.0.0.2');
    await settle();
    expect(sleeper.pending).toBe(2);

    sleeper.release();
    sleeper.release();
    await expect(Promise.all([first, other])).resolves.toEqual([undefined, undefined]);
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

  it('does not start afresh while a failure of the client is still waiting, however old', async () => {
    sleeper.hold();
    const t = throttle({ forgetAfterMs: 60_000 });
    const first = t.failed('10.0.0.1');
    clock += 60_001;
    const second = t.failed('10.0.0.1');
    await settle();
    // Still queued behind the first wait, and counted as the second failure.
    expect(sleeper.pending).toBe(1);
    sleeper.release();
    await first;
    await settle();
    sleeper.release();
    await second;
    expect(sleeper.requested).toEqual([500, 1_000]);
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

  it('never forgets a client whose failures are still waiting', async () => {
    sleeper.hold();
    const t = throttle({ maxClients: 1 });
    const first = t.failed('a');
    await settle();
    await expect(t.failed('b')).rejects.toBeInstanceOf(TooManyLoginsError); // a is still waiting: b is not remembered
    const again = t.failed('a');
    await settle();
    sleeper.release(); // a's first wait
    await first;
    await settle();
    sleeper.release(); // a's second wait: counted as its second failure, so a was never forgotten
    await expect(again).resolves.toBeUndefined();
    expect(sleeper.requested).toEqual([500, 1_000]);
  });
});

describe('the bound on clients remembered', () => {
  // Before, a new client was remembered whenever no quiet one could be forgotten: a flood of wrong
  // tokens from many addresses, each kept waiting, grew the map past maxClients without end.
  it('never remembers more than maxClients, even when every one of them has failures waiting', async () => {
    sleeper.hold();
    const t = throttle({ maxClients: 3 });
    const outcomes = Array.from({ length: 50 }, (_, n) => t.failed(`10.0.0.${n}`).then(() => 'waited', () => 'refused'));
    await settle();
    expect(t.clients).toBe(3);
    expect(sleeper.pending).toBe(3);

    for (let n = 0; n < 3; n++) sleeper.release();
    expect(await Promise.all(outcomes)).toEqual([...Array<string>(3).fill('waited'), ...Array<string>(47).fill('refused')]);
  });

  it('refuses a new client at once, saying why, while every remembered client has failures waiting', async () => {
    sleeper.hold();
    const t = throttle({ maxClients: 2 });
    const waiting = [t.failed('a'), t.failed('b')];
    await expect(t.failed('c')).rejects.toThrow(new TooManyLoginsError('too many addresses are failing to sign in at once'));
    expect(sleeper.requested).toEqual([500, 500]);

    sleeper.release();
    sleeper.release();
    await Promise.all(waiting);
  });

  it('takes a new client once a remembered one has no failure waiting, forgetting that one', async () => {
    sleeper.hold();
    const t = throttle({ maxClients: 2 });
    const a = t.failed('a');
    const b = t.failed('b');
    await settle();
    sleeper.release(); // a's wait ends: a can be forgotten
    await a;
    const c = t.failed('c');
    await settle();
    expect(t.clients).toBe(2);
    sleeper.release();
    sleeper.release();
    await expect(Promise.all([b, c])).resolves.toEqual([undefined, undefined]);
    expect(sleeper.requested).toEqual([500, 500, 500]);
  });

  it('still queues further failures of a remembered client while full', async () => {
    sleeper.hold();
    const t = throttle({ maxClients: 1 });
    const first = t.failed('a');
    const second = t.failed('a');
    await settle();
    sleeper.release();
    await first;
    await settle();
    sleeper.release();
    await expect(second).resolves.toBeUndefined();
    expect(sleeper.requested).toEqual([500, 1_000]);
  });
});

describe('clientKey', () => {
  it('reads an IPv4 tail of an IPv6 address as its last two groups', () => {
    expect(clientKey('1::2:3:4:5:1.2.3.4')).toBe('1:0:2:3::/64');
    expect(clientKey('64:ff9b::1.2.3.4')).toBe('64:ff9b:0:0::/64');
  });

  it('keeps an IPv4 address as it is', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('reads an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(clientKey('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(clientKey('::FFFF:1.2.3.4')).toBe('1.2.3.4');
  });

  it('reduces an IPv6 address to its /64', () => {
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
  });

  it('fills in the groups a :: left out before taking the /64', () => {
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });

  it('counts every address of one /64 as one client, and another /64 as another', () => {
    expect(clientKey('2001:db8:1:2::a')).toBe(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(clientKey('2001:db8:1:3::a')).not.toBe(clientKey('2001:db8:1:2::a'));
  });

  it('drops a zone id', () => {
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('drops leading zeros and writes lower case, so one /64 has one spelling', () => {
    expect(clientKey('2001:0DB8:00AB:0000:1:2:3:4')).toBe('2001:db8:ab:0::/64');
  });

  it('answers unknown when the address is missing', () => {
    expect(clientKey(undefined)).toBe('unknown');
  });
});
