import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { LOCAL_SECRETS_FILE, readOrCreateLocalSecrets } from '../../src/local-secrets';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => {
  removeTempDir(dir);
});

describe('readOrCreateLocalSecrets', () => {
  it('writes the secrets to local-secrets.json readable by the owner only (0600)', () => {
    const { secrets, file } = readOrCreateLocalSecrets(dir);

    expect(file).toBe(path.join(dir, LOCAL_SECRETS_FILE));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(secrets);
  });

  it('creates a data folder that does not exist yet', () => {
    const nested = path.join(dir, 'data', 'deeper');
    const { file } = readOrCreateLocalSecrets(nested);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('reuses the file on the next start instead of generating new values', () => {
    const first = readOrCreateLocalSecrets(dir).secrets;
    const second = readOrCreateLocalSecrets(dir).secrets;
    expect(second).toEqual(first);
  });

  it('generates values shaped like the real secrets', () => {
    const { secrets } = readOrCreateLocalSecrets(dir);
    expect(secrets.TWILIO_ACCOUNT_SID).toMatch(/^AC[0-9a-f]{32}$/);
    expect(secrets.TWILIO_AUTH_TOKEN).toMatch(/^[0-9a-f]{32}$/);
    // 24 random bytes in base64url: 32 characters, at least the 16 ADMIN_TOKEN requires.
    expect(secrets.ADMIN_TOKEN).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('generates different values in different data folders', () => {
    const other = makeTempDir();
    try {
      const a = readOrCreateLocalSecrets(dir).secrets;
      const b = readOrCreateLocalSecrets(other).secrets;
      expect(b.ADMIN_TOKEN).not.toBe(a.ADMIN_TOKEN);
      expect(b.TWILIO_ACCOUNT_SID).not.toBe(a.TWILIO_ACCOUNT_SID);
      expect(b.TWILIO_AUTH_TOKEN).not.toBe(a.TWILIO_AUTH_TOKEN);
    } finally {
      removeTempDir(other);
    }
  });

  it('generates values the production rules would accept, so a local setup can be promoted', () => {
    const { secrets } = readOrCreateLocalSecrets(dir);
    const env = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://onboard.example.com',
      TWILIO_PHONE_NUMBER: '+14155550123',
      NOTIFY_SMS_TO: '+14155550199',
      ...secrets,
    };
    expect(() => loadConfig(env, () => secrets)).not.toThrow();
  });
});

describe('a local secrets file from an earlier version', () => {
  it('keeps the secrets it has and adds the ones it lacks', () => {
    const dir = makeTempDir();
    try {
      const file = path.join(dir, LOCAL_SECRETS_FILE);
      const old = { ADMIN_TOKEN: 'old-admin-token-0123456789', TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: '2'.repeat(32) };
      fs.writeFileSync(file, JSON.stringify(old), { mode: 0o600 });

      const { secrets } = readOrCreateLocalSecrets(dir);

      expect(secrets).toMatchObject(old);
      expect(secrets.WHATSAPP_VERIFY_TOKEN).toMatch(/^[\w-]{24}$/);
      expect(secrets.WHATSAPP_APP_SECRET).toMatch(/^[0-9a-f]{32}$/);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(secrets);
    } finally {
      removeTempDir(dir);
    }
  });
});

describe('a damaged local secrets file', () => {
  it('is refused with a message that says how to recover', () => {
    const dir = makeTempDir();
    try {
      fs.writeFileSync(path.join(dir, LOCAL_SECRETS_FILE), '{"ADMIN_TOKEN": 3');
      expect(() => readOrCreateLocalSecrets(dir)).toThrow(/is damaged: delete it/);
      fs.writeFileSync(path.join(dir, LOCAL_SECRETS_FILE), '{"ADMIN_TOKEN": "x"}');
      expect(() => readOrCreateLocalSecrets(dir)).toThrow(/is damaged: delete it/);
    } finally {
      removeTempDir(dir);
    }
  });
});
