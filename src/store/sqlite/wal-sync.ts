import fs from 'node:fs/promises';
import { StoreError } from '../store-error';

/**
 * Makes the write-ahead log durable without holding the event loop. With `synchronous = FULL` every
 * commit syncs the WAL inside SQLite, on the thread that commits: better-sqlite3 is synchronous, so
 * each sync (a few milliseconds on a cloud disk) stopped every request. The intake instead commits
 * with `synchronous = NORMAL` (the frames reach the WAL file, not yet the disk) and then calls
 * `sync()`: an fdatasync of the WAL file on libuv's thread pool, while the event loop goes on. Only
 * once it resolves is Meta answered 200. A checkpoint cannot get ahead of it: under NORMAL, SQLite
 * syncs the WAL before it copies frames into the database, and the database before it reuses the
 * WAL (https://www.sqlite.org/pragma.html#pragma_synchronous, https://www.sqlite.org/wal.html).
 * fdatasync works on the file, whichever descriptor names it, so SQLite's writes are flushed too.
 */
export class WalSync {
  private handle: Promise<fs.FileHandle> | undefined;

  constructor(private readonly walFile: string) {}

  async sync(): Promise<void> {
    try {
      this.handle ??= fs.open(this.walFile, 'r');
      await (await this.handle).datasync();
    } catch (error) {
      this.handle = undefined; // opened again next time: the file may not have existed yet
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      throw new StoreError(`SQLite: could not sync the write-ahead log: ${(error as Error).message}`, { transient: true, code, cause: error });
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }
}
