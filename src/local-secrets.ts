import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_SECRET_KEYS, type LocalSecrets } from './config';
import { makePrivateDirSync, restrictToOwnerSync, writePrivateFileSync } from './data-dir/private-files';

export const LOCAL_SECRETS_FILE = 'local-secrets.json';

/**
 * Local mode's stand-ins for the secrets production requires: generated once into
 * `{dataDir}/local-secrets.json` (mode 0600) and reused, so a restart keeps the admin token and
 * the Twilio signature key a local test was set up with. The values are never printed.
 */
export function readOrCreateLocalSecrets(dataDir: string): { secrets: LocalSecrets; file: string } {
  const file = path.join(dataDir, LOCAL_SECRETS_FILE);
  const stored = fs.existsSync(file) ? readSecrets(file) : {};
  restrictToOwnerSync([file]); // a file written before it was kept 0600 whatever the umask
  // A file written by an older version lacks the newer secrets: keep what it has, add the rest.
  const secrets: LocalSecrets = { ...generate(), ...stored };
  if (LOCAL_SECRET_KEYS.some((key) => stored[key] === undefined)) {
    makePrivateDirSync(dataDir);
    writePrivateFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`);
  }
  return { secrets, file };
}

function generate(): LocalSecrets {
  return {
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`,
    TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
    WHATSAPP_VERIFY_TOKEN: randomBytes(18).toString('base64url'),
    WHATSAPP_APP_SECRET: randomBytes(16).toString('hex'),
  };
}

function readSecrets(file: string): Partial<LocalSecrets> {
  let parsed: Partial<Record<keyof LocalSecrets, unknown>> = {};
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    // fall through to the error below, which says how to recover
  }
  const damaged =
    parsed === null ||
    typeof parsed !== 'object' ||
    LOCAL_SECRET_KEYS.some((key) => parsed[key] !== undefined && (typeof parsed[key] !== 'string' || parsed[key] === ''));
  // The three secrets of the first version must be there: a file without them was not written by us.
  const incomplete = (['ADMIN_TOKEN', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'] as const).some((key) => parsed[key] === undefined);
  if (damaged || incomplete) {
    throw new Error(`${file} is damaged: delete it and local mode will generate new secrets`);
  }
  return parsed as Partial<LocalSecrets>;
}
