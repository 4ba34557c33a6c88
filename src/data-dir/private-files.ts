import fs from 'node:fs';
import fsp from 'node:fs/promises';

/**
 * DATA_DIR holds codes, customers' messages and generated secrets: its folders are 0700 and its
 * files 0600 whatever the umask. A mode given to mkdir or open is only an upper bound (the umask
 * takes bits away), and only on creation; so each is set again with chmod.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and its missing parents) 0700; a folder that already exists keeps its mode. */
export function makePrivateDirSync(dir: string): void {
  const created = fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (created !== undefined) fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

export async function makePrivateDir(dir: string): Promise<void> {
  const created = await fsp.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (created !== undefined) await fsp.chmod(dir, PRIVATE_DIR_MODE);
}

/** Writes `file` 0600 (a file already there is made 0600 too). */
export function writePrivateFileSync(file: string, content: string): void {
  const fd = fs.openSync(file, 'w', PRIVATE_FILE_MODE);
  try {
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    fs.writeFileSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `file` 0600; with `sync`, its content is on disk before this resolves. */
export async function writePrivateFile(file: string, content: string, options: { sync: boolean }): Promise<void> {
  const handle = await fsp.open(file, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(content);
    if (options.sync) await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes files an older release (or another tool) left readable by others 0600. A file of another
 * owner is left as it is: it may be shared on purpose, and chmod is not ours to do there.
 */
export function restrictToOwnerSync(files: string[]): void {
  for (const file of files) {
    try {
      if ((fs.statSync(file).mode & 0o777) !== PRIVATE_FILE_MODE) fs.chmodSync(file, PRIVATE_FILE_MODE);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EPERM') throw error;
    }
  }
}
