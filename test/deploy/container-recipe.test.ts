import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import twilio from 'twilio';
import { parse as parseYaml } from 'yaml';
import { buildContext } from './build-context';
import { readDockerfile } from './dockerfile';
import { inStage, runStage, stageEnvironment, type StageResult } from './recipe-runner';
import { serve, type Served } from './served';
import { freshSchema, type TestSchema } from '../helpers/postgres/test-schema';
import { productionInstall } from './readme-install';

/**
 * The container recipe and the README's production install, run for real outside a container
 * (no container engine runs on these machines): the Dockerfile's build stage runs its install
 * steps on a copy of the build context, the runtime stage is assembled from it, and both the
 * README's `npm start` and the image's CMD must serve, pass the HEALTHCHECK, and stop on SIGTERM.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const PUBLIC_URL = 'https://onboard.example.com';
const SECRETS = {
  ADMIN_TOKEN: 'admin-token-for-the-recipe-test',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'f'.repeat(32),
  WHATSAPP_VERIFY_TOKEN: 'verify-token-for-the-recipe-test',
  WHATSAPP_APP_SECRET: 'app-secret-for-the-recipe-test-0123',
};
/** What production needs besides the secrets; the Twilio API is never called by these requests. */
const PRODUCTION_SETTINGS = {
  ...SECRETS,
  PUBLIC_URL,
  TWILIO_PHONE_NUMBER: '+15005550006',
  NOTIFY_SMS_TO: '+15005550001',
  TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
  LOG_FORMAT: 'json',
};

const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
const install = productionInstall(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

let work: string;
let build: StageResult;
let runtime: StageResult;
const log: string[] = [];

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-recipe-'));
  const earlier = new Map<string, StageResult>();
  const [first, last] = [stages[0], stages.at(-1)];
  if (!first || !last || stages.length !== 2) throw new Error('the recipe has a build stage and a runtime stage');
  build = await runStage(first, { context: ROOT, workRoot: work, earlier, log: (line) => log.push(line) });
  runtime = await runStage(last, { context: ROOT, workRoot: work, earlier, log: (line) => log.push(line) });
}, 15 * 60_000);

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the README's production install", () => {
  it('is npm ci, npm run build, npm prune --omit=dev, then npm start', () => {
    expect(install).toEqual(['npm ci', 'npm run build', 'npm prune --omit=dev', 'npm start']);
  });

  it("is what the image's build stage runs, and npm start runs what the image's CMD runs", () => {
    expect(build.runs).toEqual(install.slice(0, -1));
    // `exec`, so that npm's SIGTERM reaches node itself rather than the shell npm runs it in.
    expect(packageJson.scripts.start).toBe(`exec ${runtime.command?.join(' ')}`);
  });

  it('serves from the pruned install with npm start, and stops cleanly on SIGTERM', async () => {
    const [program = '', ...args] = install.at(-1)?.split(' ') ?? [];
    const served = await serve([program, ...args], {
      cwd: inStage(build, '.'),
      env: stageEnvironment({ ...PRODUCTION_SETTINGS, NODE_ENV: 'production', HOST: '127.0.0.1', DATA_DIR: path.join(work, 'npm-start-data') }),
    });
    await expectServing(served);
    expect(await served.terminate()).toBe(0);
    await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
  });
});

describe('the container recipe', () => {
  it('sends no installed or built files, local data, .env or history to the build', () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-context-'));
    for (const file of ['node_modules/x/index.js', 'dist/main.js', 'data/wa-onboard.db', '.env', '.env.production', '.env.example', '.git/HEAD', 'src/main.ts']) {
      fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      fs.writeFileSync(path.join(tree, file), 'x');
    }
    fs.copyFileSync(path.join(ROOT, '.dockerignore'), path.join(tree, '.dockerignore'));

    expect(buildContext(tree)).toEqual(['.dockerignore', '.env.example', 'src/main.ts']);
    fs.rmSync(tree, { recursive: true, force: true });
  });

  it('builds on a current Node LTS and runs on its slim image', () => {
    expect(stages.map((stage) => stage.image)).toEqual(['node:26-trixie', 'node:26-trixie-slim']);
  });

  it('runs as a non-root user, on every address, in production, with DATA_DIR on a volume', () => {
    expect(runtime.user).toBe('node');
    expect(runtime.env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(runtime.volumes).toEqual([runtime.env.DATA_DIR]);
    expect(runtime.exposed).toEqual([runtime.env.PORT]);
  });

  it('keeps no devDependency in the runtime image', () => {
    const present = Object.keys(packageJson.devDependencies).filter((name) => fs.existsSync(inStage(runtime, `node_modules/${name}`)));
    expect(present).toEqual([]);
    expect(fs.existsSync(inStage(runtime, 'node_modules/better-sqlite3'))).toBe(true);
  });

  describe("the image's CMD, started as the container starts it", () => {
    let schema: TestSchema | undefined;
    let served: Served;

    beforeAll(async () => {
      // On PostgreSQL, as compose.yaml runs it, when the test run has one; on SQLite otherwise.
      schema = process.env.WA_ONBOARD_TEST_POSTGRES ? await freshSchema() : undefined;
      if (!schema && process.env.WA_ONBOARD_REQUIRE_POSTGRES === '1') throw new Error('no PostgreSQL for the recipe test');
      served = await serve(runtime.command ?? [], {
        cwd: inStage(runtime, '.'),
        env: stageEnvironment({
          ...runtime.env,
          ...PRODUCTION_SETTINGS,
          // Loopback here (the container's 0.0.0.0 is its own network); DATA_DIR where the volume would be.
          HOST: '127.0.0.1',
          DATA_DIR: inStage(runtime, runtime.env.DATA_DIR ?? '/data'),
          ...(schema ? { DATABASE_URL: schema.url } : {}),
        }),
      });
    }, 120_000);

    afterAll(async () => {
      await served?.terminate();
      await schema?.drop();
    });

    it('serves the call, the webhook, the page and its assets', async () => {
      await expectServing(served);
    });

    it('passes its HEALTHCHECK', () => {
      const [program = '', ...args] = runtime.healthcheck?.command ?? [];
      const { port } = new URL(served.url);
      const result = spawnSync(program, args, { cwd: inStage(runtime, '.'), env: stageEnvironment({ ...runtime.env, HOST: '127.0.0.1', PORT: port }) });
      expect({ status: result.status, stderr: result.stderr.toString() }).toEqual({ status: 0, stderr: '' });
    });

    it('fails its HEALTHCHECK, saying why, when nothing answers', () => {
      const [program = '', ...args] = runtime.healthcheck?.command ?? [];
      const result = spawnSync(program, args, { cwd: inStage(runtime, '.'), env: stageEnvironment({ ...runtime.env, HOST: '127.0.0.1', PORT: '9' }) });
      expect(result.status).toBe(1);
      expect(result.stderr.toString()).toMatch(/^unhealthy: http:\/\/127\.0\.0\.1:9\/healthz: /);
    });

    it("runs the wa-onboard command too, as `docker compose exec` would (README, Going live)", () => {
      const result = spawnSync('node', ['dist/cli/main.js', 'doctor', '--help'], { cwd: inStage(runtime, '.'), env: stageEnvironment(runtime.env) });
      expect(result.status).toBe(0);
      expect(result.stdout.toString()).toContain('doctor');
    });

    it('stops cleanly on SIGTERM, as docker stop sends it to node as PID 1', async () => {
      expect(await served.terminate()).toBe(0);
      expect(served.output.some((line) => line.includes('stopping: finishing in-flight work'))).toBe(true);
    });
  });
});

describe('compose.yaml', () => {
  interface Service {
    build?: string;
    environment?: Record<string, string>;
    volumes?: string[];
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: { test: string[] };
    ports?: string[];
  }
  const compose = parseYaml(fs.readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, Service> };
  const app = compose.services['wa-onboard'];
  const postgres = compose.services.postgres;

  it('builds the service from this Dockerfile, with its data folder on a named volume', () => {
    expect(app?.build).toBe('.');
    expect(app?.volumes).toEqual([`wa-onboard-data:${runtimeDataDir()}`]);
  });

  it('keeps everything in the PostgreSQL service, started first and healthy', () => {
    expect(app?.environment?.DATABASE_URL).toMatch(/^postgres:\/\/wa_onboard:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/wa_onboard$/);
    expect(app?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(postgres?.healthcheck?.test).toEqual(['CMD', 'pg_isready', '-U', 'wa_onboard', '-d', 'wa_onboard']);
    expect(postgres?.volumes).toEqual(['postgres-data:/var/lib/postgresql']);
  });

  it('publishes the port on the host loopback only, for a TLS proxy in front', () => {
    expect(app?.ports).toEqual(['127.0.0.1:3000:3000']);
  });
});

function runtimeDataDir(): string {
  const stage = stages.at(-1);
  for (const step of stage?.instructions ?? []) if (step.kind === 'ENV' && step.values.DATA_DIR) return step.values.DATA_DIR;
  throw new Error('the runtime stage sets no DATA_DIR');
}

/** A signed Twilio call gets TwiML, a signed Meta POST is stored, the page and its stylesheet load. */
async function expectServing(served: Served): Promise<void> {
  expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${served.url}/readyz`)).status).toBe(200);

  const params = { CallSid: 'CArecipe', From: '+16505550100', To: '+15005550006', AccountSid: SECRETS.TWILIO_ACCOUNT_SID };
  const voice = await fetch(`${served.url}/twilio/voice`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(SECRETS.TWILIO_AUTH_TOKEN, `${PUBLIC_URL}/twilio/voice`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(voice.status).toBe(200);
  expect(await voice.text()).toContain('<Gather');

  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
  const signature = 'sha256=' + crypto.createHmac('sha256', SECRETS.WHATSAPP_APP_SECRET).update(body).digest('hex');
  const webhook = await fetch(`${served.url}/webhooks/whatsapp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  });
  expect(webhook.status).toBe(200);

  expect((await fetch(`${served.url}/`)).status).toBe(200);
  expect((await fetch(`${served.url}/assets/operator-page.css`)).status).toBe(200);
}
