import fs from 'node:fs';
import path from 'node:path';
import { dataDirError } from './data-dir-error';
import { makePrivateDirSync } from './private-files';

/**
 * Makes sure DATA_DIR can be used before anything is kept in it: created (0700) when missing, a
 * folder, and writable (a small file is written and removed, which a full disk refuses too).
 * Throws a `DataDirError` that names DATA_DIR and why not.
 */
export function prepareDataDir(dir: string): void {
  const probe = path.join(dir, `.write-check-${process.pid}`);
  try {
    makePrivateDirSync(dir);
    fs.writeFileSync(probe, 'wa-onboard\n', { mode: 0o600 });
    fs.rmSync(probe);
  } catch (error) {
    removeQuietly(probe); // a full disk may have let it be created, empty
    throw dataDirError(dir, error) ?? error;
  }
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // not there, or not removable: the error that matters is the one being thrown
  }
}
