import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LocalSecrets } from './config';

export const LOCAL_SECRETS_FILE = 'local-secrets.json';

/**
 * Local mode's stand-ins for the secrets production requires: generated once into
 * `{dataDir}/local-secrets.json` (mode 0600) and reused, so a restart keeps the admin token and
 * the Twilio signature key a local test was set up with. The values are never printed.
 */
export function readOrCreateLocalSecrets(dataDir: string): { secrets: LocalSecrets; file: string } {
  const file = path.join(dataDir, LOCAL_SECRETS_FILE);
  if (fs.existsSync(file)) return { secrets: readSecrets(file), file };
  const secrets: LocalSecrets = {
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`,
    TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return { secrets, file };
}

function readSecrets(file: string): LocalSecrets {
  let parsed: Partial<Record<keyof LocalSecrets, unknown>> = {};
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    // fall through to the error below, which says how to recover
  }
  const keys: Array<keyof LocalSecrets> = ['ADMIN_TOKEN', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'];
  if (keys.some((key) => typeof parsed[key] !== 'string' || parsed[key] === '')) {
    throw new Error(`${file} is damaged: delete it and local mode will generate new secrets`);
  }
  return parsed as LocalSecrets;
}
