import fs from 'node:fs/promises';
import path from 'node:path';
import { makePrivateDir, writePrivateFile } from '../data-dir/private-files';
import type { Mailer, OutgoingEmail, OutgoingSms, SmsSender } from './ports';

/**
 * Local mode's stand-in for SMTP and Twilio: each message becomes a JSON file in
 * `{dataDir}/outbox`, named so a directory listing reads in send order.
 */
export function createOutbox(dataDir: string): { mailer: Mailer; sms: SmsSender; dir: string } {
  const dir = outboxDirOf(dataDir);
  let sequence = 0;
  const write = async (channel: 'email' | 'sms', message: OutgoingEmail | OutgoingSms) => {
    // Messages hold codes: the folder is 0700 and each file 0600, whatever the umask.
    await makePrivateDir(dir);
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${++sequence}-${channel}.json`;
    // Written aside, then renamed: whoever watches the folder never reads half a message.
    const partial = path.join(dir, `.${name}.partial`);
    await writePrivateFile(partial, `${JSON.stringify({ channel, ...message }, null, 2)}\n`, { sync: false });
    await fs.rename(partial, path.join(dir, name));
  };
  return {
    dir,
    mailer: { send: (email) => write('email', email) },
    sms: { send: (sms) => write('sms', sms) },
  };
}

/** Where the outbox of `dataDir` is. */
export function outboxDirOf(dataDir: string): string {
  return path.join(dataDir, 'outbox');
}

/**
 * Deletes the outbox files (messages, and any left half-written by a crash) last written before
 * `before`: they hold codes. Returns how many went; a missing folder holds none.
 */
export async function pruneOutbox(dir: string, before: Date): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let pruned = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    // A message being written is renamed from its .partial meanwhile: gone is not a failure.
    const stat = await fs.lstat(file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
    if (!stat?.isFile() || stat.mtimeMs >= before.getTime()) continue;
    await fs.rm(file, { force: true });
    pruned++;
  }
  return pruned;
}
