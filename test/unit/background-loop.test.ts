import { Writable } from 'node:stream';
import pino from 'pino';
import { BackgroundLoop } from '../../src/background-loop';
import { StoreError } from '../../src/store/store-error';

/** Long enough that no poll happens during a test unless the test asks for one. */
const NEVER_POLLS = 60_000;

/** A pass the test controls: it counts its runs, and holds each one until `finish` when told to. */
class Passes {
  count = 0;
  hold = false;
  /** What the next passes resolve with (how long they ask the loop to sleep). */
  sleepMs: number | null = null;
  private held: Array<(sleepMs: number | null) => void> = [];

  readonly pass = (): Promise<number | null> => {
    this.count++;
    if (!this.hold) return Promise.resolve(this.sleepMs);
    return new Promise((resolve) => this.held.push(resolve));
  };

  /** Lets the oldest held pass end. */
  finish(): void {
    const next = this.held.shift();
    if (!next) throw new Error('no pass is running');
    next(this.sleepMs);
  }
}

/** Waits (in 1 ms steps, at most about `limitMs`) until `check` holds. */
async function until(check: () => boolean, what: string, limitMs = 1_000): Promise<void> {
  for (let i = 0; i < limitMs && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!check()) throw new Error(`never happened: ${what}`);
}

async function afterMicrotasks(k: number): Promise<void> {
  for (let i = 0; i < k; i++) await Promise.resolve();
}

/** Lets timers due now and every promise callback run, so a pass that would start has started. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function settledFlag(promise: Promise<unknown>): { settled: boolean } {
  const flag = { settled: false };
  void promise.finally(() => (flag.settled = true));
  return flag;
}

let loops: BackgroundLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.map((loop) => loop.stop()));
  loops = [];
});

function loopOf(passes: Passes, options: { pollMs?: number; logLines?: string[] } = {}): BackgroundLoop {
  const lines = options.logLines ?? [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const loop = new BackgroundLoop({
    name: 'test loop',
    logger: pino({ level: 'info' }, destination),
    pollMs: options.pollMs ?? NEVER_POLLS,
    pass: passes.pass,
  });
  loops.push(loop);
  return loop;
}

describe('BackgroundLoop', () => {
  it('runs a pass when started, and another each time it is kicked', async () => {
    const passes = new Passes();
    const loop = loopOf(passes);
    loop.start();
    await until(() => passes.count === 1, 'the first pass');

    loop.kick();
    await until(() => passes.count === 2, 'the pass after a kick');
    await settle();
    expect(passes.count).toBe(2);
  });

  it('runs nothing before it is started', async () => {
    const passes = new Passes();
    loopOf(passes).kick();
    await settle();
    expect(passes.count).toBe(0);
  });

  it('answers several kicks during a pass with exactly one more pass', async () => {
    const passes = new Passes();
    passes.hold = true;
    const loop = loopOf(passes);
    loop.start();
    await until(() => passes.count === 1, 'the first pass');

    loop.kick();
    loop.kick();
    loop.kick();
    passes.finish();
    await until(() => passes.count === 2, 'the pass the kicks asked for');
    passes.finish();
    await settle();
    expect(passes.count).toBe(2);
  });

  it('never runs two passes at once', async () => {
    const passes = new Passes();
    passes.hold = true;
    const loop = loopOf(passes);
    loop.start();
    await until(() => passes.count === 1, 'the first pass');
    loop.kick();
    void loop.runNow();
    await settle();
    expect(passes.count).toBe(1);
    passes.finish();
    await until(() => passes.count === 2, 'the next pass');
    passes.finish();
  });

  // A kick can come from a promise callback (a delivery's `finally`) that lands just as a pass
  // ends: after the loop last looked at `again`, before `running` is cleared. Such a kick must not
  // wait for the next poll. Each k puts the kick k microtasks after the pass resolves.
  it('answers a kick that lands just as a pass ends with another pass, not at the next poll', async () => {
    for (let k = 0; k <= 4; k++) {
      let runs = 0;
      const loop: BackgroundLoop = new BackgroundLoop({
        name: `kick ${k} microtasks after the pass`,
        logger: pino({ level: 'silent' }),
        pollMs: NEVER_POLLS,
        pass: () => {
          runs++;
          if (runs === 1) void afterMicrotasks(k).then(() => loop.kick());
          return Promise.resolve(null);
        },
      });
      loops.push(loop);
      loop.start();
      await until(() => runs === 2, `a second pass for a kick ${k} microtasks after the first ended`, 200);
    }
  });

  it('logs a pass that throws, and runs again at the next poll without being kicked', async () => {
    const lines: string[] = [];
    let runs = 0;
    const loop = new BackgroundLoop({
      name: 'webhook dispatch',
      logger: pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString('utf8')), done()) })),
      pollMs: 20,
      pass: () => {
        runs++;
        return runs === 1 ? Promise.reject(new Error('SQLITE_BUSY: database is locked')) : Promise.resolve(null);
      },
    });
    loops.push(loop);
    loop.start();
    await until(() => runs >= 2, 'a pass at the next poll');

    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as { level: number; msg: string; err: string };
    expect(line).toMatchObject({ level: 50, err: 'SQLITE_BUSY: database is locked' });
    expect(line.msg).toMatch(/^webhook dispatch failed/);
  });

  it('does not reject runNow when the pass throws', async () => {
    const loop = new BackgroundLoop({
      name: 'test loop',
      logger: pino({ level: 'silent' }),
      pollMs: NEVER_POLLS,
      pass: () => Promise.reject(new Error('boom')),
    });
    loops.push(loop);
    await expect(loop.runNow()).resolves.toBeUndefined();
  });

  it('runs again after the delay a pass asked for, before the poll', async () => {
    const passes = new Passes();
    passes.sleepMs = 5;
    const loop = loopOf(passes);
    loop.start();
    await until(() => passes.count >= 3, 'passes at the delay they asked for');
  });

  it('waits in stop() for the pass running, and starts no pass after it', async () => {
    const passes = new Passes();
    passes.hold = true;
    passes.sleepMs = 0; // asks to run again at once: only stop() prevents it
    const loop = loopOf(passes, { pollMs: 10 });
    loop.start();
    await until(() => passes.count === 1, 'the first pass');
    loop.kick();

    const stopped = settledFlag(loop.stop());
    await settle();
    expect(stopped.settled).toBe(false);

    passes.finish();
    await until(() => stopped.settled, 'stop() to resolve');
    loop.kick();
    await settle();
    expect(passes.count).toBe(1);
  });

  it('cancels the poll when stopped between passes', async () => {
    const passes = new Passes();
    const loop = loopOf(passes, { pollMs: 10 });
    loop.start();
    await until(() => passes.count === 1, 'the first pass');
    await loop.stop();
    await settle();
    expect(passes.count).toBe(1);
  });

  it('runs a pass on runNow and resolves once it has ended', async () => {
    const passes = new Passes();
    passes.hold = true;
    const loop = loopOf(passes);
    const ran = settledFlag(loop.runNow());
    expect(passes.count).toBe(1);
    await settle();
    expect(ran.settled).toBe(false);
    passes.finish();
    await until(() => ran.settled, 'runNow to resolve');
  });

  it('makes runNow during a pass wait for that pass and one more after it', async () => {
    const passes = new Passes();
    passes.hold = true;
    const loop = loopOf(passes);
    loop.start();
    await until(() => passes.count === 1, 'the first pass');

    const ran = settledFlag(loop.runNow());
    passes.finish();
    await until(() => passes.count === 2, 'the pass runNow asked for');
    expect(ran.settled).toBe(false);
    passes.finish();
    await until(() => ran.settled, 'runNow to resolve');
  });

  it('tries again soon after a transient store failure, backing off, though the poll is far off', async () => {
    const lines: string[] = [];
    let failures = 3;
    const times: number[] = [];
    const loop = new BackgroundLoop({
      name: 'test loop',
      logger: pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => done(void lines.push(chunk.toString('utf8'))) })),
      pollMs: NEVER_POLLS,
      pass: () => {
        times.push(Date.now());
        return failures-- > 0 ? Promise.reject(new StoreError('PostgreSQL: the database system is shutting down', { transient: true, code: '57P01' })) : Promise.resolve(null);
      },
    });
    loops.push(loop);
    loop.start();
    await until(() => times.length === 4, 'three retries after the failures', 5_000);
    // 100 ms, then 200, then 400: each wait at least the one before it doubled.
    const waits = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(waits[0]).toBeGreaterThanOrEqual(95);
    expect(waits[1]).toBeGreaterThanOrEqual(195);
    expect(waits[2]).toBeGreaterThanOrEqual(395);
    expect(lines.filter((l) => l.includes('the store is unavailable; will try again'))).toHaveLength(3);
    expect(lines.every((l) => (JSON.parse(l) as { level: number }).level === 40)).toBe(true);
  });

  it('waits for the next poll after a failure that is not transient', async () => {
    const passes = new Passes();
    let calls = 0;
    const loop = new BackgroundLoop({
      name: 'test loop',
      logger: pino({ level: 'silent' }),
      pollMs: NEVER_POLLS,
      pass: () => (++calls === 1 ? Promise.reject(new StoreError('SQLite: no such table', { transient: false, code: 'SQLITE_ERROR' })) : passes.pass()),
    });
    loops.push(loop);
    loop.start();
    await until(() => calls === 1, 'the failed pass');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toBe(1);
  });
});
