import type { OutputStream } from '../../src/cli/io';
import { clock, createProgress, createWaiter } from '../../src/cli/progress';

/** A stream that keeps what was written, one entry per write. */
function recordingStream(isTTY: boolean): OutputStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

/** A check that answers `answers` in turn, then keeps answering the last one. */
function answering<T>(...answers: Array<T | undefined>) {
  let calls = 0;
  const check = () => Promise.resolve(answers[Math.min(calls++, answers.length - 1)]);
  return { check, calls: () => calls };
}

describe('createWaiter', () => {
  it('returns the first defined value of check, and stops asking', async () => {
    const stream = recordingStream(false);
    const { check, calls } = answering<string>(undefined, undefined, 'first', 'second');
    const wait = createWaiter({ stream, pollMs: 1, quiet: false });
    await expect(wait('waiting', 10_000, check)).resolves.toBe('first');
    expect(calls()).toBe(3);
  });

  it('takes a falsy but defined value as found', async () => {
    const { check, calls } = answering<number>(undefined, 0);
    const wait = createWaiter({ stream: recordingStream(false), pollMs: 1, quiet: false });
    await expect(wait('waiting', 10_000, check)).resolves.toBe(0);
    expect(calls()).toBe(2);
  });

  it('returns undefined once timeoutMs has passed without an answer', async () => {
    const { check, calls } = answering<string>(undefined);
    const wait = createWaiter({ stream: recordingStream(false), pollMs: 5, quiet: false });
    const started = Date.now();
    await expect(wait('waiting', 60, check)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(calls()).toBeGreaterThan(1);
  });

  it('writes one "label (up to m:ss)..." line and no carriage returns on a stream that is not a terminal', async () => {
    const stream = recordingStream(false);
    const wait = createWaiter({ stream, pollMs: 1, quiet: false });
    await wait('waiting for the call', 90_000, answering<string>(undefined, undefined, undefined, 'done').check);
    expect(stream.writes).toEqual(['  waiting for the call (up to 1:30)...\n']);
  });

  it('counts in place on a terminal with carriage returns, and clears the line at the end', async () => {
    const stream = recordingStream(true);
    const wait = createWaiter({ stream, pollMs: 1, quiet: false });
    await wait('waiting for the call', 90_000, answering<string>(undefined, undefined, 'done').check);
    expect(stream.writes).toHaveLength(3);
    for (const progress of stream.writes.slice(0, 2)) {
      expect(progress.startsWith('\r\x1b[2K  waiting for the call... ')).toBe(true);
      expect(progress.endsWith(' of 1:30')).toBe(true);
    }
    expect(stream.writes.at(-1)).toBe('\r\x1b[2K');
    expect(stream.writes.join('')).not.toContain('\n');
  });

  it('polls again after a failing check, and returns what a later one finds', async () => {
    let calls = 0;
    const wait = createWaiter({ stream: recordingStream(false), pollMs: 1, quiet: true });
    const found = await wait('waiting', 10_000, () => (++calls < 3 ? Promise.reject(new Error('502 during a deploy')) : Promise.resolve('123456')));
    expect({ found, calls }).toEqual({ found: '123456', calls: 3 });
  });

  it('throws the last failure when time runs out on a failing check, and clears the terminal line', async () => {
    const stream = recordingStream(true);
    const wait = createWaiter({ stream, pollMs: 1, quiet: false });
    await expect(wait('waiting', 30, () => Promise.reject(new Error('service gone')))).rejects.toThrow('service gone');
    expect(stream.writes.at(-1)).toBe('\r\x1b[2K');
  });

  it.each([true, false])('writes nothing when quiet (isTTY %s), even when it times out', async (isTTY) => {
    const stream = recordingStream(isTTY);
    const wait = createWaiter({ stream, pollMs: 1, quiet: true });
    await expect(wait('waiting', 20, answering<string>(undefined).check)).resolves.toBeUndefined();
    expect(stream.writes).toEqual([]);
  });

  describe('on a long wait, with a fake clock', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('notes it is still waiting every 30 seconds on a stream that is not a terminal', async () => {
      const stream = recordingStream(false);
      const wait = createWaiter({ stream, pollMs: 1000, quiet: false });
      const waited = wait('waiting for the call', 75_000, answering<string>(undefined).check);
      await jest.advanceTimersByTimeAsync(75_000);
      await expect(waited).resolves.toBeUndefined();
      expect(stream.writes).toEqual([
        '  waiting for the call (up to 1:15)...\n',
        '  still waiting: 0:30 of 1:15\n',
        '  still waiting: 1:00 of 1:15\n',
      ]);
    });
  });
});

describe('createProgress', () => {
  describe('with a fake clock', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('counts the seconds in place on a terminal while the work lasts, and clears the line when it is done', async () => {
      const stream = recordingStream(true);
      const progress = createProgress({ stream, quiet: false });
      const during = progress.during('queuing dead letters again', new Promise((resolve) => setTimeout(() => resolve(42), 3_500)));
      await jest.advanceTimersByTimeAsync(3_500);

      await expect(during).resolves.toBe(42);
      expect(stream.writes).toEqual([
        '\r\x1b[2K  queuing dead letters again...',
        '\r\x1b[2K  queuing dead letters again... 0:01',
        '\r\x1b[2K  queuing dead letters again... 0:02',
        '\r\x1b[2K  queuing dead letters again... 0:03',
        '\r\x1b[2K',
      ]);
    });

    it('notes it is still at work every 30 seconds on a stream that is not a terminal', async () => {
      const stream = recordingStream(false);
      const progress = createProgress({ stream, quiet: false });
      const during = progress.during('queuing', new Promise((resolve) => setTimeout(resolve, 65_000)));
      await jest.advanceTimersByTimeAsync(65_000);
      await during;
      expect(stream.writes).toEqual(['  queuing...\n', '  still queuing: 0:30\n', '  still queuing: 1:00\n']);
    });
  });

  it('writes one line when the work starts on a stream that is not a terminal, and passes its failure on', async () => {
    const stream = recordingStream(false);
    const progress = createProgress({ stream, quiet: false });
    await expect(progress.during('queuing', Promise.reject(new Error('service gone')))).rejects.toThrow('service gone');
    progress.note('reading dead letters... 500');
    progress.done();
    expect(stream.writes).toEqual(['  queuing...\n']);
  });

  it('rewrites a note in place on a terminal, and clears it once', () => {
    const stream = recordingStream(true);
    const progress = createProgress({ stream, quiet: false });
    progress.note('reading dead letters... 500');
    progress.note('reading dead letters... 1,000');
    progress.done();
    progress.done();
    expect(stream.writes).toEqual(['\r\x1b[2K  reading dead letters... 500', '\r\x1b[2K  reading dead letters... 1,000', '\r\x1b[2K']);
  });

  it.each([true, false])('writes nothing when quiet (isTTY %s)', async (isTTY) => {
    const stream = recordingStream(isTTY);
    const progress = createProgress({ stream, quiet: true });
    await progress.during('queuing', new Promise((resolve) => setTimeout(resolve, 10)));
    progress.note('reading');
    progress.done();
    expect(stream.writes).toEqual([]);
  });
});

describe('clock', () => {
  it.each([
    [75_000, '1:15'],
    [0, '0:00'],
    [59_999, '0:59'],
    [600_000, '10:00'],
  ])('shows %i ms as %s', (ms, shown) => {
    expect(clock(ms)).toBe(shown);
  });
});
