import { CALL_WRITES_SHOWN, shownWrites, WEBHOOK_WRITES_SHOWN } from '../../src/page/operator-page';
import { notifyOnWrite } from '../../src/store/notify-on-write';
import { openSqliteStores } from '../../src/store/sqlite/open';
import type { Stores } from '../../src/store/stores';
import { readWebhookOverview } from '../../src/whatsapp/overview';
import { fixtureWire } from '../helpers/meta-wire';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/** A write whose promise the test settles. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A small store: `save` and `remove` write, `find` reads. */
function fakeStore() {
  return {
    rows: new Map<string, number>(),
    save(key: string, value: number): Promise<{ created: boolean }> {
      const created = !this.rows.has(key);
      this.rows.set(key, value);
      return Promise.resolve({ created });
    },
    remove(key: string): Promise<void> {
      if (!this.rows.has(key)) return Promise.reject(new Error(`no row ${key}`));
      this.rows.delete(key);
      return Promise.resolve();
    },
    find(key: string): Promise<number | null> {
      return Promise.resolve(this.rows.get(key) ?? null);
    },
  };
}

describe('notifyOnWrite', () => {
  it('calls onWrite once a listed write has resolved, not before', async () => {
    const write = deferred<string>();
    const onWrite = jest.fn();
    const store = notifyOnWrite({ write: () => write.promise }, ['write'], onWrite);

    const done = store.write();
    await Promise.resolve();
    expect(onWrite).not.toHaveBeenCalled();

    write.resolve('ok');
    await done;
    expect(onWrite).toHaveBeenCalledTimes(1);
  });

  it('has notified by the time the caller sees the write resolve', async () => {
    const calls: string[] = [];
    const store = notifyOnWrite(fakeStore(), ['save'], () => calls.push('notified'));
    await store.save('a', 1);
    calls.push('resolved');
    expect(calls).toEqual(['notified', 'resolved']);
  });

  it('calls onWrite once per write', async () => {
    const onWrite = jest.fn();
    const store = notifyOnWrite(fakeStore(), ['save', 'remove'], onWrite);
    await store.save('a', 1);
    await store.save('b', 2);
    await store.remove('a');
    expect(onWrite).toHaveBeenCalledTimes(3);
  });

  it('passes the arguments and the result through', async () => {
    const original = fakeStore();
    const store = notifyOnWrite(original, ['save'], () => undefined);
    expect(await store.save('a', 1)).toEqual({ created: true });
    expect(await store.save('a', 2)).toEqual({ created: false });
    expect(original.rows.get('a')).toBe(2);
    expect(await store.find('a')).toBe(2);
  });

  it('calls the write on the original store', async () => {
    const write = jest.fn((): Promise<void> => Promise.resolve());
    const original = { write };
    await notifyOnWrite(original, ['write'], () => undefined).write();
    expect(write.mock.contexts).toEqual([original]);
    expect(write.mock.contexts[0]).toBe(original);
  });

  it('does not notify for a method that is not listed, and still answers it', async () => {
    const onWrite = jest.fn();
    const store = notifyOnWrite(fakeStore(), ['save'], onWrite);
    await store.save('a', 1);
    onWrite.mockClear();

    expect(await store.find('a')).toBe(1);
    expect(onWrite).not.toHaveBeenCalled();
  });

  it('does not notify when the write rejects, and passes the rejection on', async () => {
    const onWrite = jest.fn();
    const store = notifyOnWrite(fakeStore(), ['remove'], onWrite);
    await expect(store.remove('missing')).rejects.toThrow('no row missing');
    expect(onWrite).not.toHaveBeenCalled();
  });

  it('does not notify when a write throws instead of rejecting, and rejects', async () => {
    const onWrite = jest.fn();
    const throwing = {
      write(): Promise<void> {
        throw new Error('SQLITE_BUSY');
      },
    };
    const store = notifyOnWrite(throwing, ['write'], onWrite);
    await expect(store.write()).rejects.toThrow('SQLITE_BUSY');
    expect(onWrite).not.toHaveBeenCalled();
  });

  it('leaves the store it wraps as it was', async () => {
    const original = fakeStore();
    const save = original.save;
    const onWrite = jest.fn();
    notifyOnWrite(original, ['save'], onWrite);
    expect(original.save).toBe(save);
    await original.save('a', 1);
    expect(onWrite).not.toHaveBeenCalled();
  });

  it('throws a TypeError for a listed name that is not a method', () => {
    const store = { ...fakeStore(), size: 3 };
    expect(() => notifyOnWrite(store, ['save', 'size'], () => undefined)).toThrow(
      new TypeError('size is not a method of the store'),
    );
    expect(() => notifyOnWrite(store, ['nothing' as keyof typeof store], () => undefined)).toThrow(TypeError);
  });
});

describe('shownWrites', () => {
  it('lists the methods marked true, and only those', () => {
    expect(shownWrites<{ a(): void; b(): void; c(): void }>({ a: true, b: false, c: true })).toEqual(['a', 'c']);
  });
});

describe('the writes the operator page is told about, on the SQLite stores', () => {
  let dir: string;
  let stores: Stores;
  beforeEach(() => {
    dir = makeTempDir();
    stores = openSqliteStores(dir);
  });
  afterEach(async () => {
    await stores.close();
    removeTempDir(dir);
  });

  // That every method of each store is listed is checked by the compiler (a Record over its keys).
  it('names only methods the stores have, so wrapping them cannot throw', () => {
    expect(() => notifyOnWrite(stores.calls, shownWrites(CALL_WRITES_SHOWN), () => undefined)).not.toThrow();
    expect(() => notifyOnWrite(stores.webhooks, shownWrites(WEBHOOK_WRITES_SHOWN), () => undefined)).not.toThrow();
  });

  it('notifies for a captured code, and not for listing the codes', async () => {
    const onWrite = jest.fn();
    const store = notifyOnWrite(stores.calls, shownWrites(CALL_WRITES_SHOWN), onWrite);
    const call = { callSid: `CA${'a'.repeat(32)}`, from: '+16505550100', to: '+14155550123' };
    const at = new Date('2025-03-01T12:00:00.000Z');

    await store.captureCode({ call, code: '482917', source: 'speech', receivedAt: at }, [{ channel: 'email', to: 'ops@example.com' }], at);
    expect(onWrite).toHaveBeenCalledTimes(1);

    const codes = await store.listCodes(10);
    expect(codes.map((c) => c.code)).toEqual(['482917']);
    expect(onWrite).toHaveBeenCalledTimes(1);
  });

  it('notifies for a stored webhook POST, and not for reading the overview', async () => {
    const onWrite = jest.fn();
    const webhooks = notifyOnWrite(stores.webhooks, shownWrites(WEBHOOK_WRITES_SHOWN), onWrite);
    const at = new Date('2025-03-01T12:00:00.000Z');

    await webhooks.appendToInbox([
      { receivedAt: at, body: fixtureWire('text'), contentType: 'application/json', signature: null, signedWith: 'current', rehearsal: false },
    ]);
    expect(onWrite).toHaveBeenCalledTimes(1);

    expect((await readWebhookOverview(webhooks, [], 10)).counts.stored).toBe(1);
    expect(onWrite).toHaveBeenCalledTimes(1);
  });
});
