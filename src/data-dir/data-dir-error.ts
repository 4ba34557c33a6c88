import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** sysexits.h: EX_CONFIG, a setting to change; EX_IOERR, the disk failed (space to free, a limit to lift). */
export type DataDirExitCode = 78 | 74;

/**
 * DATA_DIR cannot be used: names the setting, the folder, why (not a directory, not writable, disk
 * full) and what to do. The service refuses to start with it: a code heard later could not be kept.
 */
export class DataDirError extends Error {
  readonly setting = 'DATA_DIR';

  constructor(
    readonly dir: string,
    readonly reason: string,
    readonly fix: string,
    readonly exitCode: DataDirExitCode,
    cause: unknown,
  ) {
    super(`cannot use DATA_DIR=${dir}: ${reason}`, { cause });
    this.name = 'DataDirError';
  }
}

/** The error a failed file operation on `dir` (or SQLite's file in it) means, or undefined for one that says nothing of the folder. */
export function dataDirError(dir: string, error: unknown): DataDirError | undefined {
  if (error instanceof DataDirError) return error;
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return undefined;
  const detail = error instanceof Error ? error.message : code;
  const fail = (reason: string, fix: string, exitCode: DataDirExitCode = 78) =>
    new DataDirError(dir, `${reason} (${detail})`, fix, exitCode, error);
  const elsewhere = 'set DATA_DIR to a folder this user can write';
  switch (primary(code)) {
    case 'EEXIST':
    case 'ENOTDIR':
      return fail(`not a directory: ${fileInTheWay(dir) ?? dir} is a file`, `move that file away, or ${elsewhere}`);
    case 'EACCES':
    case 'EPERM':
    case 'SQLITE_READONLY':
    case 'SQLITE_CANTOPEN':
      return fail(`not writable by this user (${userName()})`, `give this user write access to it (chown, chmod), or ${elsewhere}`);
    case 'EROFS':
      return fail('on a read-only file system', `${elsewhere} on a writable disk (a mounted volume)`);
    case 'ENOSPC':
    case 'SQLITE_FULL':
      return fail('the disk is full', 'free space on that disk, or set DATA_DIR to a folder on another one', 74);
    case 'EDQUOT':
      return fail("the disk quota of this user is used up", 'free space or raise the quota, or set DATA_DIR to a folder on another disk', 74);
    case 'EFBIG':
      return fail('a file cannot grow: the file size limit (ulimit -f) is reached, as on a full disk', 'lift the limit (ulimit -f unlimited)', 74);
    case 'SQLITE_IOERR':
      return fail('a write failed: the disk may be full or failing', 'free space on that disk, or check it', 74);
    default:
      return undefined;
  }
}

const SQLITE_PRIMARY = ['SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_FULL', 'SQLITE_IOERR'];

/** SQLite's extended codes (SQLITE_READONLY_DIRECTORY, SQLITE_IOERR_WRITE) by their primary code. */
function primary(code: string): string {
  return SQLITE_PRIMARY.find((p) => code === p || code.startsWith(`${p}_`)) ?? code;
}

/** The first part of `dir`, from the top, that exists and is not a folder. */
function fileInTheWay(dir: string): string | undefined {
  const parts = path.resolve(dir).split(path.sep);
  for (let i = 2; i <= parts.length; i++) {
    const at = parts.slice(0, i).join(path.sep) || path.sep;
    try {
      if (!fs.statSync(at).isDirectory()) return at;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
