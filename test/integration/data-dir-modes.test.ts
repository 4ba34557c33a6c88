import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { simulateTwilioCall } from '../../src/embedded/simulated-twilio-call';
import { LOCAL_SECRETS_FILE, readOrCreateLocalSecrets } from '../../src/local-secrets';
import { DATABASE_FILE, openDatabase } from '../../src/store/sqlite/database';
import { CodeSpool } from '../../src/voice/code-spool';
import { eventually } from '../helpers/harness';
import { startMain, until } from '../helpers/main-process';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8).padStart(4, '0');

/**
 * DATA_DIR holds codes, customers' messages and generated secrets: only its owner may read it,
 * whatever the umask the service was started with (000 here, the loosest there is).
 */
describe("DATA_DIR's modes, whatever the umask", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('wa-onboard-modes-');
  });
  afterEach(() => removeTempDir(dir));

  it('creates DATA_DIR 0700, and the database, its -wal and -shm, the secrets and the outbox 0600', async () => {
    const data = path.join(dir, 'data');
    const main = startMain({
      env: { PORT: '0', DATA_DIR: data, NOTIFY_EMAIL_TO: 'me@example.com', NOTIFY_SMS_TO: '+15005550001' },
      cwd: dir,
      wrap: (command) => ['sh', '-c', 'umask 000; exec "$@"', 'sh', ...command],
    });
    try {
      await until('the service listening', () => main.stdout().includes('"msg":"listening'));
      const listening = JSON.parse(main.stdout().split('\n').find((line) => line.includes('"msg":"listening')) ?? '{}') as Record<string, string>;
      const secrets = JSON.parse(fs.readFileSync(path.join(data, 'local-secrets.json'), 'utf8')) as Record<string, string>;
      await simulateTwilioCall({
        serviceUrl: listening.url ?? '',
        publicUrl: listening.publicUrl ?? '',
        accountSid: secrets.TWILIO_ACCOUNT_SID ?? '',
        authToken: secrets.TWILIO_AUTH_TOKEN ?? '',
        from: '+16505550100',
        to: '+15005550006',
        speech: 'your code is 4 4 0 1 2 3',
      });
      const outbox = path.join(data, 'outbox');
      const messages = await eventually(() => {
        const names = fs.existsSync(outbox) ? fs.readdirSync(outbox).filter((n) => n.endsWith('.json')) : [];
        return names.length === 2 ? names.map((n) => path.join(outbox, n)) : undefined;
      });

      expect(modeOf(data)).toBe('0700');
      expect(modeOf(outbox)).toBe('0700');
      const files = ['wa-onboard.sqlite', 'wa-onboard.sqlite-wal', 'wa-onboard.sqlite-shm', 'local-secrets.json'].map((f) => path.join(data, f));
      expect([...files, ...messages].map((f) => [path.basename(f), modeOf(f)])).toEqual(
        [...files, ...messages].map((f) => [path.basename(f), '0600']),
      );
    } finally {
      main.kill('SIGTERM');
    }
    expect(await main.exited).toBe(0);
  });

  it('keeps spooled codes 0600 in a 0700 folder', async () => {
    const previous = process.umask(0o000);
    try {
      const spool = new CodeSpool(dir);
      const call = { callSid: 'CAmodes', from: '+16505550100', to: '+15005550006' };
      await spool.keep({ call, code: '440123', source: 'speech', receivedAt: new Date() }, [{ channel: 'email', to: 'me@example.com' }]);
      const [file] = fs.readdirSync(spool.dir);
      expect(modeOf(spool.dir)).toBe('0700');
      expect(modeOf(path.join(spool.dir, file ?? ''))).toBe('0600');
    } finally {
      process.umask(previous);
    }
  });

  it('makes the database and secrets an older release left readable by others 0600 when it opens them', () => {
    const previous = process.umask(0o022);
    try {
      const data = path.join(dir, 'old');
      fs.mkdirSync(data);
      new Database(path.join(data, DATABASE_FILE)).close(); // 0644, as SQLite creates it
      fs.writeFileSync(path.join(data, LOCAL_SECRETS_FILE), JSON.stringify(readOrCreateLocalSecrets(dir).secrets), { mode: 0o644 });
      expect(modeOf(path.join(data, DATABASE_FILE))).toBe('0644');

      openDatabase(data).close();
      readOrCreateLocalSecrets(data);
      expect(modeOf(path.join(data, DATABASE_FILE))).toBe('0600');
      expect(modeOf(path.join(data, LOCAL_SECRETS_FILE))).toBe('0600');
    } finally {
      process.umask(previous);
    }
  });
});
