import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { signPayload } from '../../src/whatsapp/sign';
import { textBatch } from '../helpers/meta-payloads';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const ROOT = path.join(__dirname, '..', '..');

/** Runs `src/main.ts` as `npm start` would run the build, with only the given environment. */
function startMain(env: Record<string, string>, cwd: string) {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'main.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('starting the service', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  it('refuses to start in production without its settings: exit 78 and one list of every problem', async () => {
    const main = startMain({ NODE_ENV: 'production', TWILIO_PHONE_NUMBER: '5551234' }, dir);
    expect(await main.exited).toBe(78);
    const out = main.output();
    expect(out).toContain('NOTIFY_EMAIL_TO or NOTIFY_SMS_TO: at least one recipient');
    for (const name of ['PUBLIC_URL', 'ADMIN_TOKEN', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']) {
      expect(out).toContain(`${name}: required`);
    }
    expect(out).toContain('TWILIO_PHONE_NUMBER: must be E.164');
  });

  it('refuses to start on NODE_ENV=prod rather than run local mode: exit 78, naming NODE_ENV and the values it takes', async () => {
    const main = startMain({ NODE_ENV: 'prod', DATA_DIR: path.join(dir, 'data') }, dir);
    expect(await main.exited).toBe(78);
    expect(main.output()).toContain('NODE_ENV: must be production, development or test, or unset');
    expect(fs.existsSync(path.join(dir, 'data', 'local-secrets.json'))).toBe(false);
  });

  it('refuses to start when PostgreSQL does not answer: exit 69, naming DATABASE_URL with its password masked', async () => {
    const port = await closedPort();
    const main = startMain({ DATA_DIR: path.join(dir, 'data'), DATABASE_URL: `postgres://wa:s3cret-pw@127.0.0.1:${port}/wa` }, dir);
    expect(await main.exited).toBe(69);
    const out = main.output();
    expect(out).toContain(`DATABASE_URL=postgres://wa:***@127.0.0.1:${port}/wa`);
    expect(out).toContain('connection refused: is PostgreSQL running and listening on that host and port?');
    expect(out).not.toContain('s3cret-pw');
  });

  it('runs in local mode with nothing set, reads .env, never prints the generated secrets, and stops on SIGTERM', async () => {
    fs.writeFileSync(path.join(dir, '.env'), 'PORT=0\nNOTIFY_EMAIL_TO=me@example.com\n');
    const main = startMain({}, dir);
    try {
      await until(() => main.output().includes('listening'));
      const secrets = JSON.parse(fs.readFileSync(path.join(dir, 'data', 'local-secrets.json'), 'utf8')) as Record<string, string>;
      const out = main.output();
      expect(out).toContain('local mode');
      expect(out).toContain('SMTP_URL is not set: emails go to the outbox folder');
      expect(out).toContain('local-secrets.json');
      for (const value of Object.values(secrets)) expect(out).not.toContain(value);
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1];
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      main.child.kill('SIGTERM');
    }
    expect(await main.exited).toBe(0);
  });

  it('loses nothing when killed (SIGKILL) right after answering Meta 200: the restart dispatches it all', async () => {
    const env = {
      PORT: '0',
      ADMIN_TOKEN: 'admin-token-0123456789abcdef',
      WHATSAPP_APP_SECRET: 'app-secret-0123456789abcdef',
      WHATSAPP_VERIFY_TOKEN: 'verify-token-0123',
      LOG_LEVEL: 'info',
    };
    const urlOf = (out: string) => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1] ?? '';
    const first = startMain(env, dir);
    await until(() => first.output().includes('listening'));
    const posts = [textBatch(1000), textBatch(1000, { first: 1000 }), textBatch(1000, { first: 2000 })];
    const answers = await Promise.all(
      posts.map((body) =>
        fetch(`${urlOf(first.output())}/webhooks/whatsapp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signPayload(env.WHATSAPP_APP_SECRET, body) },
          body,
        }),
      ),
    );
    first.child.kill('SIGKILL');
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await first.exited;

    const second = startMain(env, dir);
    try {
      await until(() => second.output().includes('listening'));
      const overview = async () => {
        const res = await fetch(`${urlOf(second.output())}/api/webhook`, { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
        return (await res.json()) as { counts: { stored: number; events: number; pending: number } };
      };
      let counts = (await overview()).counts;
      for (let i = 0; i < 100 && counts.events < 3000; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        counts = (await overview()).counts;
      }
      expect(counts).toMatchObject({ stored: 3, events: 3000, pending: 0 });
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toBe(0);
  });
});
