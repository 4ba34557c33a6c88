import fs from 'node:fs/promises';
import path from 'node:path';
import { makePrivateDir, writePrivateFile } from '../data-dir/private-files';
import type { Mailer, OutgoingEmail, OutgoingSms, SmsSender } from './ports';

/**
 * Local mode's stand-in for SMTP and Twilio: each message becomes a JSON file in
 * `{dataDir}/outbox`, named so a directory listing reads in send order.
 */
export function createOutbox(dataDir: string): { mailer: Mailer; sms: SmsSender; dir: string } {
  const dir = path.join(dataDir, 'outbox');
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
