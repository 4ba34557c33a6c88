import { randomBytes } from 'node:crypto';
import os from 'node:os';

/**
 * A name for this running instance, recorded with the work it claims: the host and process say
 * where to look, the random tail keeps a restarted process (the same pid in a new container) apart
 * from the one before.
 */
export function newInstanceId(): string {
  return `${os.hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}
