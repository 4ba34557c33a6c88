import { GroupCommit } from '../../src/store/group-commit';

/** A write the test finishes by hand: every call is recorded, and each waits for `finish`. */
class ControlledWrite {
  readonly calls: string[][] = [];
  private pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  readonly write = (items: string[]): Promise<void> => {
    this.calls.push([...items]);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  };

  /** Resolves (or rejects) the oldest write not finished yet. */
  finish(error?: Error): void {
    const next = this.pending.shift();
    if (!next) throw new Error('no write is waiting');
    if (error) next.reject(error);
    else next.resolve();
  }
}

/** Lets the setImmediate that starts a batch, and the promise callbacks after it, run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `promise` has settled yet, without waiting for it. */
function settledFlag(promise: Promise<unknown>): { settled: boolean } {
  const flag = { settled: false };
  promise.then(
    () => (flag.settled = true),
    () => (flag.settled = true),
  );
  return flag;
}

describe('GroupCommit', () => {
  it('writes every item added in one turn in a single call, in order', async () => {
    const writes: string[][] = [];
    const commit = new GroupCommit<string>((items) => Promise.resolve(void writes.push(items)));

    await Promise.all(['a', 'b', 'c'].map((item) => commit.add(item)));

    expect(writes).toEqual([['a', 'b', 'c']]);
  });

  it('resolves each add only once its write has finished', async () => {
    const write = new ControlledWrite();
    const commit = new GroupCommit<string>(write.write);
    const added = settledFlag(commit.add('a'));

    await turn();
    expect(write.calls).toEqual([['a']]);
    expect(added.settled).toBe(false);

    write.finish();
    await turn();
    expect(added.settled).toBe(true);
  });

  it('rejects every add of a failed batch with the write\'s error, and the next batch still works', async () => {
    const write = new ControlledWrite();
    const commit = new GroupCommit<string>(write.write);
    const failing = [commit.add('a'), commit.add('b')];
    await turn();
    write.finish(new Error('SQLITE_FULL: database or disk is full'));

    for (const add of failing) await expect(add).rejects.toThrow('SQLITE_FULL');

    const next = commit.add('c');
    await turn();
    write.finish();
    await expect(next).resolves.toBeUndefined();
    expect(write.calls).toEqual([['a', 'b'], ['c']]);
  });

  it('rejects the batch when the write throws instead of rejecting', async () => {
    const commit = new GroupCommit<string>(() => {
      throw new Error('the database connection is not open');
    });
    await expect(commit.add('a')).rejects.toThrow('not open');
  });

  it('splits a turn\'s items into batches of at most maxBatch', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number>((items) => Promise.resolve(void writes.push(items)), 2);

    await Promise.all([1, 2, 3, 4, 5].map((n) => commit.add(n)));

    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('puts the items added during a write into the next write, and starts it only after', async () => {
    const write = new ControlledWrite();
    const commit = new GroupCommit<string>(write.write);
    const first = commit.add('a');
    await turn();
    const during = [commit.add('b'), commit.add('c')];
    await turn();
    expect(write.calls).toEqual([['a']]);

    write.finish();
    await first;
    await turn();
    expect(write.calls).toEqual([['a'], ['b', 'c']]);

    write.finish();
    await Promise.all(during);
  });
});
