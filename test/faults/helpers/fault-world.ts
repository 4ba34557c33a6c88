import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import twilio from 'twilio';
import { startEventReceiver, type EventReceiver } from '../../../src/embedded/event-receiver';
import { startFakeTwilioApi, type FakeTwilioApi } from '../../../src/embedded/fake-twilio-api';
import { startLocalSmtpServer, type LocalSmtpServer } from '../../../src/embedded/local-smtp-server';
import { signPayload } from '../../../src/whatsapp/sign';
import { ACCOUNT, ADMIN_TOKEN, META, OUR_NUMBER, PUBLIC_URL } from '../../helpers/harness';
import { startPostgresCluster, type PostgresCluster } from '../../helpers/postgres/cluster';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { Books } from './books';
import { startServiceProcess, type ServiceProcess } from './service-process';

export const FORWARD_SECRET = 'forward-secret-for-fault-tests-0123';
export const TEAM_EMAIL = 'team@example.com';
export const TEAM_PHONE = '+15005550010';
/** The database the instances share on the world's PostgreSQL. */
const DATABASE = 'wa_onboard';

export interface WorldOptions {
  /** Keep everything in a PostgreSQL cluster of the world's own (so it can be restarted), not SQLite. */
  postgres?: boolean;
  /** Ports for this many instances of the service (default 1). */
  instances?: number;
}

/**
 * Everything a deployment talks to, on loopback and on ports fixed for the whole test, so each part
 * can go down and come back where the service looks for it: a real SMTP server, the fake Twilio
 * REST API, a team's event receiver for FORWARD_URL and, with `postgres`, a PostgreSQL cluster. The
 * service runs in production mode, in its own process (or several, each with its own DATA_DIR, as
 * containers would be), on its own SQLite file or on the shared PostgreSQL.
 */
export class FaultWorld {
  smtp: LocalSmtpServer | null = null;
  twilioApi: FakeTwilioApi | null = null;
  receiver: EventReceiver | null = null;
  /** The first instance (`startService`). */
  service: ServiceProcess | null = null;
  /** Every instance started, by index. */
  readonly instances: Array<ServiceProcess | null> = [];
  cluster: PostgresCluster | null = null;
  readonly dataDir = makeTempDir('wa-onboard-faults-');
  private closed = false;

  private constructor(
    readonly ports: { service: number; smtp: number; twilio: number; receiver: number; instances: number[] },
    private readonly extraEnv: Record<string, string>,
  ) {}

  /** The database's books, read from outside. */
  get books(): Books {
    return new Books({ dataDir: this.dataDir, databaseUrl: this.databaseUrl });
  }

  get databaseUrl(): string | undefined {
    return this.cluster ? this.cluster.urlOf(DATABASE) : undefined;
  }

  static async start(extraEnv: Record<string, string> = {}, options: WorldOptions = {}): Promise<FaultWorld> {
    const count = Math.max(1, options.instances ?? 1);
    const [service = 0, smtp = 0, twilio = 0, receiver = 0, ...instances] = await portsOutsideEphemeralRange(3 + count);
    const ports = { service, smtp, twilio, receiver, instances: [service, ...instances] };
    const world = new FaultWorld(ports, extraEnv);
    const parts: Array<Promise<unknown>> = [world.startSmtp(), world.startTwilioApi(), world.startReceiver()];
    if (options.postgres) parts.push(world.startCluster());
    const started = await Promise.allSettled(parts);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await world.close(); // the parts that did start would keep jest from exiting
      throw failed.reason;
    }
    return world;
  }

  get env(): Record<string, string> {
    return {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      PUBLIC_URL,
      DATA_DIR: this.dataDir,
      ADMIN_TOKEN,
      TWILIO_ACCOUNT_SID: ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: ACCOUNT.authToken,
      TWILIO_PHONE_NUMBER: OUR_NUMBER,
      TWILIO_API_BASE_URL: `http://127.0.0.1:${this.ports.twilio}`,
      NOTIFY_EMAIL_TO: TEAM_EMAIL,
      NOTIFY_SMS_TO: TEAM_PHONE,
      SMTP_URL: `smtp://local:local@127.0.0.1:${this.ports.smtp}`,
      EMAIL_FROM: 'wa-onboard <onboard@example.com>',
      WHATSAPP_VERIFY_TOKEN: META.verifyToken,
      WHATSAPP_APP_SECRET: META.appSecret,
      FORWARD_URL: `http://127.0.0.1:${this.ports.receiver}/events`,
      FORWARD_SECRET,
      ...(this.databaseUrl ? { DATABASE_URL: this.databaseUrl } : {}),
      ...this.extraEnv,
    };
  }

  async startService(): Promise<ServiceProcess> {
    this.service = await this.startInstance(0);
    return this.service;
  }

  /**
   * Starts instance `n` on its own port. Instance 0 keeps its data in the world's DATA_DIR; the
   * others, on PostgreSQL, each have a DATA_DIR of their own (their spool), as containers would.
   */
  async startInstance(n: number): Promise<ServiceProcess> {
    const port = this.ports.instances[n];
    if (port === undefined) throw new Error(`the world has ports for ${this.ports.instances.length} instances`);
    const dataDir = n === 0 ? this.dataDir : path.join(this.dataDir, `instance-${n}`);
    const instance = await startServiceProcess({ env: { ...this.env, DATA_DIR: dataDir }, port });
    this.instances[n] = instance;
    if (n === 0) this.service = instance;
    return instance;
  }

  async startCluster(): Promise<PostgresCluster> {
    this.cluster = await startPostgresCluster();
    const admin = new pg.Client({ connectionString: this.cluster.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    return this.cluster;
  }

  get url(): string {
    if (!this.service) throw new Error('the service is not running');
    return this.service.url;
  }

  async startSmtp(): Promise<LocalSmtpServer> {
    this.smtp = await startLocalSmtpServer({ port: this.ports.smtp });
    return this.smtp;
  }

  async stopSmtp(): Promise<void> {
    await this.smtp?.close();
    this.smtp = null;
  }

  async startTwilioApi(): Promise<FakeTwilioApi> {
    this.twilioApi = await startFakeTwilioApi(ACCOUNT, { port: this.ports.twilio });
    return this.twilioApi;
  }

  async stopTwilioApi(): Promise<void> {
    await this.twilioApi?.close();
    this.twilioApi = null;
  }

  async startReceiver(): Promise<EventReceiver> {
    this.receiver = await startEventReceiver({ port: this.ports.receiver });
    return this.receiver;
  }

  async stopReceiver(): Promise<void> {
    await this.receiver?.close();
    this.receiver = null;
  }

  /** A POST to `/twilio/...` signed as Twilio signs it: for PUBLIC_URL, with the account's auth token. */
  twilioPost(pathAndQuery: string, params: Record<string, string>): Promise<Response> {
    return this.twilioPostTo(this.url, pathAndQuery, params);
  }

  /** The same, to the instance at `url` (signed for PUBLIC_URL all the same, as behind a balancer). */
  twilioPostTo(url: string, pathAndQuery: string, params: Record<string, string>): Promise<Response> {
    return fetch(url + pathAndQuery, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(ACCOUNT.authToken, PUBLIC_URL + pathAndQuery, params),
      },
      body: new URLSearchParams(params).toString(),
    });
  }

  /** A POST of `body` to `/webhooks/whatsapp`, signed with Meta's app secret. */
  metaPost(body: Buffer): Promise<Response> {
    return fetch(`${this.url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signPayload(META.appSecret, body) },
      body,
    });
  }

  /** Stops everything; a second call (a test that failed before starting its own world) does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const running = new Set([this.service, ...this.instances].filter((s): s is ServiceProcess => s !== null));
    for (const service of running) service.kill('SIGKILL');
    await Promise.all([...running].map((s) => s.exited));
    await Promise.all([this.stopSmtp(), this.stopTwilioApi(), this.stopReceiver(), this.cluster?.destroy()]);
    removeTempDir(this.dataDir);
  }
}

/**
 * `count` distinct ports free on 127.0.0.1, below Linux's ephemeral range (32768 and up): a part is
 * stopped and started again on its port during a test, and meanwhile an outgoing connection must
 * not be handed that port as its own.
 */
async function portsOutsideEphemeralRange(count: number): Promise<number[]> {
  const held: net.Server[] = [];
  try {
    while (held.length < count) {
      const probe = net.createServer();
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      const bound = await new Promise<boolean>((resolve) => {
        probe.once('error', () => resolve(false));
        probe.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) held.push(probe);
    }
    return held.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Polls `check` every 100 ms until it returns true; fails with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
