import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { isLoopbackUrl } from './loopback';
import { TOKEN_RECIPE, weakTokenReason } from './token-strength';

/** Everything the service needs, read once at start from the environment. */
export interface Config {
  /** `production` when NODE_ENV=production; `local` when it is development, test or unset (generated secrets, outbox delivery). */
  mode: 'production' | 'local';
  port: number;
  /** The address to listen on: loopback in local mode (generated secrets; nobody else should reach it), every interface in production. */
  host: string;
  /**
   * What strangers' connections may hold: `maxConnections` open at once (MAX_CONNECTIONS), and
   * `unverifiedBodyBytes` of request bodies not yet authenticated (UNVERIFIED_BODIES_MIB; see http/body-budget.ts).
   */
  http: { maxConnections: number; unverifiedBodyBytes: number };
  /** Base URL Twilio calls, without a trailing slash; signatures are checked against it. */
  publicUrl: string;
  dataDir: string;
  /** Where everything is kept: the embedded SQLite file in `dataDir`, or a shared PostgreSQL. */
  database: DatabaseSettings;
  adminToken: string;
  /** Who may read `/metrics`: with `token`, whoever sends it; without, loopback only in production unless `public`. */
  metrics: { token: string | null; public: boolean };
  twilio: {
    accountSid: string;
    authToken: string;
    phoneNumber: string;
    /** E.164 sender or a Messaging Service SID (`MG...`). */
    smsFrom: string;
    apiBaseUrl: string;
    /** False only when TWILIO_SIGNATURE_CHECK=off outside production. */
    verifySignatures: boolean;
  };
  notify: { emailTo: string[]; smsTo: string[] };
  /** Absent when email is not configured (local mode writes to the outbox instead). */
  smtp?: { url: string; from: string };
  /** When false (local mode without real Twilio credentials), SMS go to the outbox. */
  smsViaTwilio: boolean;
  codeLength: number;
  /**
   * Which calls reach the recipients: at most `limit` per hour (CALL_FORWARD_LIMIT), and only from
   * `callersAllowed` (CALLERS_ALLOWED, E.164 prefixes; null: every caller). See voice/forward-budget.ts.
   */
  callForwarding: { limit: number; callersAllowed: string[] | null };
  voiceLanguage: string;
  logLevel: string;
  /** LOG_FORMAT: `auto` is human-readable on a terminal and JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  whatsapp: {
    /** The verify token entered in Meta's dashboard; answers the subscription check. */
    verifyToken: string;
    /** The app secret that keys X-Hub-Signature-256, then the previous one while rotating. */
    appSecrets: string[];
    /** False only when WHATSAPP_SIGNATURE_CHECK=off outside production. */
    verifySignatures: boolean;
  };
  forward: {
    /** Every event is POSTed to each of these. */
    urls: string[];
    /** Signs what we forward; set whenever `urls` is not empty. */
    secret: string | null;
    /**
     * How long a failing forward is retried, from when it was queued (or replayed), before it is
     * given up as expired and kept as a dead letter for the rest of the retention period.
     */
    giveUpHours: number;
  };
  /** How long stored payloads and dedupe keys are kept: longer than Meta's 7-day retries. */
  inboxRetentionDays: number;
  /** How long calls, codes, what was heard, their deliveries and outbox files are kept. */
  codeRetentionDays: number;
  /** Meta's Graph API, for the `wa-onboard meta` and `doctor` commands; the service never calls it. */
  meta: MetaSettings;
  /** The settings local mode generated because they were not set; empty in production. */
  generatedSecrets: Array<keyof LocalSecrets>;
}

export type DatabaseSettings =
  | { kind: 'sqlite'; migrate: boolean }
  | {
      kind: 'postgres';
      /** The connection URL, password included: never log it (see `maskedDatabaseUrl`). */
      url: string;
      /** Connections per instance. */
      poolMax: number;
      /** Apply migrations at start; off leaves them to `wa-onboard db migrate`. */
      migrate: boolean;
    };

/** A database URL fit for a log or an error: the password (in the user part, or `?password=`) replaced by `***`. */
export function maskedDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^@/?#]*@/i, '$1***@');
  }
}

/** What the command needs to drive Meta's onboarding API; each id is null until set. */
export interface MetaSettings {
  /** A system user's token with whatsapp_business_management (and _messaging) permissions. */
  accessToken: string | null;
  appId: string | null;
  wabaId: string | null;
  phoneNumberId: string | null;
  /** Without a trailing slash, e.g. https://graph.facebook.com. */
  graphUrl: string;
  /** Such as v26.0. */
  graphVersion: string;
}

/**
 * The configuration is invalid. `problems` lists every one of them, each with the expected form,
 * so an operator fixes them all in one go.
 */
export class ConfigError extends Error {
  /** sysexits.h EX_CONFIG: the process stops with this code. */
  readonly exitCode = 78;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

const E164 = /^\+[1-9]\d{6,14}$/;
const GRAPH_ID = /^\d{5,20}$/;
/** Tokens travel in HTTP headers: only visible ASCII, or fetch refuses them (and its error quotes them). */
const VISIBLE_16 = /^[\x21-\x7e]{16,}$/;

/** A Graph API version Meta supports now (v26.0 came out in 2026; each lives about two years). */
export const DEFAULT_GRAPH_VERSION = 'v26.0';
const EMAIL = /^[^\s@,]+@[^\s@,]+$/;

const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = (schema: z.ZodType<string>) => z.preprocess(blankIsUnset, schema.optional());
const list = (item: RegExp, form: string, readable: (entry: string) => boolean = () => true) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []),
    z.array(z.string().regex(item, `each entry must be ${form}`).refine(readable, `each entry must be ${form}`)),
  );

/**
 * The values of NODE_ENV we know. Anything else (`prod`, `Production`) is refused rather than read
 * as "not production": that would start local mode, with generated secrets and checks that may be off.
 */
export const NODE_ENV_VALUES = ['production', 'development', 'test'] as const;

const schema = z.object({
  NODE_ENV: optional(
    z.enum(NODE_ENV_VALUES, {
      error: 'must be production, development or test, or unset (anything else would silently run local mode)',
    }),
  ),
  PORT: z.preprocess(
    blankIsUnset,
    z.coerce.number({ error: 'must be a port number from 0 to 65535' }).int().min(0).max(65535).default(3000),
  ),
  HOST: optional(
    z
      .string()
      .refine((host) => isIP(host) !== 0 || /^[a-zA-Z0-9.-]+$/.test(host), 'must be an address to listen on, such as 127.0.0.1 or 0.0.0.0'),
  ),
  // Each connection costs a socket, and each unverified body up to 3 MB until its signature can be checked.
  MAX_CONNECTIONS: z.preprocess(
    blankIsUnset,
    z.coerce.number({ error: 'must be a whole number of connections from 10 to 100000' }).int().min(10).max(100_000).default(1_000),
  ),
  UNVERIFIED_BODIES_MIB: z.preprocess(
    blankIsUnset,
    z.coerce
      .number({ error: 'must be a whole number of MiB from 3 to 4096' })
      .int()
      .min(3, "must be at least 3: one webhook body of 3 MB (Meta's limit) must fit")
      .max(4096)
      .default(64),
  ),
  PUBLIC_URL: optional(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://onboard.example.com' }),
  ),
  DATA_DIR: z.preprocess(blankIsUnset, z.string().default('./data')),
  DATABASE_URL: optional(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a PostgreSQL URL such as postgres://user:pass@host:5432/db')
      .refine((url) => URL.canParse(url), 'must be a PostgreSQL URL such as postgres://user:pass@host:5432/db'),
  ),
  DATABASE_POOL_MAX: z.preprocess(
    blankIsUnset,
    z.coerce.number({ error: 'must be a whole number from 2 to 100' }).int().min(2).max(100).default(10),
  ),
  DATABASE_MIGRATE: z.preprocess(blankIsUnset, z.enum(['on', 'off']).default('on')),
  ADMIN_TOKEN: optional(z.string().regex(VISIBLE_16, 'must be 16+ visible ASCII characters, without spaces')),
  METRICS_TOKEN: optional(z.string().regex(VISIBLE_16, 'must be 16+ visible ASCII characters, without spaces')),
  METRICS_PUBLIC: z.preprocess(blankIsUnset, z.enum(['on', 'off']).default('off')),
  TWILIO_ACCOUNT_SID: optional(z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex characters')),
  TWILIO_AUTH_TOKEN: optional(z.string().regex(/^\S{16,}$/, 'must be the 32-character auth token, without spaces')),
  TWILIO_PHONE_NUMBER: optional(z.string().regex(E164, 'must be E.164, such as +14155550123')),
  TWILIO_SMS_FROM: optional(
    z.string().regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, 'must be E.164 or a Messaging Service SID (MG...)'),
  ),
  TWILIO_API_BASE_URL: z.preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).default('https://api.twilio.com')),
  TWILIO_SIGNATURE_CHECK: z.preprocess(blankIsUnset, z.enum(['on', 'off']).default('on')),
  NOTIFY_EMAIL_TO: list(EMAIL, 'an email address'),
  NOTIFY_SMS_TO: list(E164, 'an E.164 number such as +14155550123'),
  SMTP_URL: optional(z.string().regex(/^smtps?:\/\/\S+$/, 'must be a nodemailer URL such as smtp://user:pass@host:587')),
  EMAIL_FROM: optional(z.string().min(3)),
  CODE_LENGTH: z.preprocess(
    blankIsUnset,
    z.coerce.number({ error: 'must be a whole number from 4 to 10' }).int().min(4).max(10).default(6),
  ),
  // Anyone can phone the number, and each call it forwards costs an email and an SMS per recipient.
  CALL_FORWARD_LIMIT: z.preprocess(
    blankIsUnset,
    z.coerce.number({ error: 'must be a whole number of calls per hour from 1 to 1000' }).int().min(1).max(1000).default(10),
  ),
  CALLERS_ALLOWED: list(/^\+[1-9]\d{0,14}$/, 'an E.164 prefix such as +1650 or +44'),
  VOICE_LANGUAGE: z.preprocess(
    blankIsUnset,
    z.string().regex(/^[a-z]{2,3}-[A-Z]{2}$/, 'must be a language tag such as en-US').default('en-US'),
  ),
  WHATSAPP_VERIFY_TOKEN: optional(z.string().regex(/^\S{8,}$/, 'must be 8+ characters without spaces')),
  WHATSAPP_APP_SECRET: optional(z.string().regex(/^\S{16,}$/, "must be the app's secret (App settings > Basic), without spaces")),
  WHATSAPP_APP_SECRET_PREVIOUS: optional(z.string().regex(/^\S{16,}$/, 'must be the former app secret, without spaces')),
  WHATSAPP_SIGNATURE_CHECK: z.preprocess(blankIsUnset, z.enum(['on', 'off']).default('on')),
  // Parsed too: a URL that `URL` cannot read (a port past 65535, say) could not be sent to, nor shown
  // with its credentials taken out.
  FORWARD_URL: list(/^https?:\/\/\S+$/, 'an http(s) URL', (entry) => URL.canParse(entry)),
  FORWARD_SECRET: optional(z.string().min(16, 'must be at least 16 characters')),
  FORWARD_GIVE_UP_HOURS: z.preprocess(
    blankIsUnset,
    z.coerce.number({ error: 'must be a whole number of hours, at least 1' }).int().min(1, 'must be at least 1').default(72),
  ),
  CODE_RETENTION_DAYS: z.preprocess(
    blankIsUnset,
    z.coerce.number({ error: 'must be a whole number of days from 1 to 3650' }).int().min(1).max(3650).default(30),
  ),
  INBOX_RETENTION_DAYS: z.preprocess(
    blankIsUnset,
    z.coerce
      // Meta retries for up to 7 days: a shorter memory would take a late redelivery for a new event.
      .number({ error: 'must be a whole number of days from 8 to 3650' })
      .int()
      .min(8, 'must be at least 8: Meta redelivers for up to 7 days')
      .max(3650)
      .default(14),
  ),
  META_ACCESS_TOKEN: optional(z.string().regex(/^[\x21-\x7e]{20,}$/, "must be a system user's access token, without spaces")),
  META_APP_ID: optional(z.string().regex(GRAPH_ID, 'must be the numeric app id (App settings > Basic)')),
  META_WABA_ID: optional(z.string().regex(GRAPH_ID, 'must be the numeric WhatsApp Business Account id')),
  META_PHONE_NUMBER_ID: optional(z.string().regex(GRAPH_ID, "must be the numeric phone number id (not the number itself)")),
  META_GRAPH_URL: z.preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).default('https://graph.facebook.com')),
  META_GRAPH_VERSION: z.preprocess(
    blankIsUnset,
    z.string().regex(/^v\d+\.\d+$/, 'must be a Graph API version such as v26.0').default(DEFAULT_GRAPH_VERSION),
  ),
  LOG_LEVEL: z.preprocess(
    blankIsUnset,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  LOG_FORMAT: z.preprocess(blankIsUnset, z.enum(['auto', 'json', 'pretty']).default('auto')),
});

/** NODE_ENV's problem, as `loadConfig` words it, if it has one: for a check that runs as production whatever NODE_ENV says. */
export function nodeEnvProblems(env: Env): string[] {
  const result = schema.shape.NODE_ENV.safeParse(env.NODE_ENV);
  return result.success ? [] : result.error.issues.map((i) => `NODE_ENV: ${i.message}`);
}

/** Every setting the schema reads, by its environment name: `.env.example` and the README list the same ones (a test holds them to it). */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

type Parsed = z.infer<typeof schema>;

/** Secrets that local mode generates when they are not set (see local-secrets.ts). */
export interface LocalSecrets {
  ADMIN_TOKEN: string;
  TWILIO_ACCOUNT_SID: string;
  TWILIO_AUTH_TOKEN: string;
  WHATSAPP_VERIFY_TOKEN: string;
  WHATSAPP_APP_SECRET: string;
}

/** The secrets local mode fills in when they are not set. */
export const LOCAL_SECRET_KEYS: ReadonlyArray<keyof LocalSecrets> = [
  'ADMIN_TOKEN',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'WHATSAPP_VERIFY_TOKEN',
  'WHATSAPP_APP_SECRET',
];

export interface LoadedConfig {
  config: Config;
  /** What local mode filled in or will do differently; printed at start. Never holds a secret. */
  notices: string[];
  /**
   * What production would refuse in this environment, one problem per line, each starting with the
   * variable to set (as `ConfigError` lists them); empty in production, which started.
   */
  missingForProduction: string[];
}

/**
 * Parses the environment. In production every missing or malformed variable is an error; in local
 * mode missing secrets come from `localSecrets(dataDir)` (called only when one is needed) and missing
 * delivery settings send to the outbox.
 */
export function loadConfig(env: Env, localSecrets: (dataDir: string) => LocalSecrets): LoadedConfig {
  const production = env.NODE_ENV === 'production';
  const result = schema.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  problems.push(...forwardingProblems(env));
  if (result.success) problems.push(...giveUpProblems(result.data));
  if (production) problems.push(...productionProblems(env));
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  return production
    ? { config: build(result.data, 'production'), notices: [], missingForProduction: [] }
    : { ...localConfig(result.data, localSecrets), missingForProduction: productionProblems(env) };
}

/** What production needs beyond well-formed values; read from the raw environment, so a malformed
 * value elsewhere does not hide a missing one. */
function productionProblems(env: Env): string[] {
  const isSet = (key: string) => (env[key] ?? '').trim() !== '';
  // A list of only commas and spaces names no one.
  const hasEntries = (key: string) => (env[key] ?? '').split(',').some((entry) => entry.trim() !== '');
  const required: Array<[string, string]> = [
    ['PUBLIC_URL', 'the https URL Twilio calls, such as https://onboard.example.com'],
    ['ADMIN_TOKEN', `a random token for the operator page and /api/*: ${TOKEN_RECIPE}`],
    ['TWILIO_ACCOUNT_SID', 'your account SID, AC followed by 32 hex characters'],
    ['TWILIO_AUTH_TOKEN', "your account's auth token; it checks X-Twilio-Signature"],
    ['TWILIO_PHONE_NUMBER', 'the number being registered, E.164 such as +14155550123'],
    ['WHATSAPP_VERIFY_TOKEN', "the verify token you enter in Meta's webhook settings"],
    ['WHATSAPP_APP_SECRET', "your Meta app's secret (App settings > Basic); it checks X-Hub-Signature-256"],
  ];
  const problems = required.filter(([key]) => !isSet(key)).map(([key, form]) => `${key}: required, ${form}`);
  problems.push(...adminTokenProblems(env.ADMIN_TOKEN));
  if (!hasEntries('NOTIFY_EMAIL_TO') && !hasEntries('NOTIFY_SMS_TO')) {
    problems.push('NOTIFY_EMAIL_TO or NOTIFY_SMS_TO: at least one recipient, comma-separated');
  }
  if (hasEntries('NOTIFY_EMAIL_TO') && !isSet('SMTP_URL')) {
    problems.push('SMTP_URL: required with NOTIFY_EMAIL_TO, such as smtp://user:pass@smtp.example.com:587');
  }
  if (hasEntries('NOTIFY_EMAIL_TO') && !isSet('EMAIL_FROM')) {
    problems.push('EMAIL_FROM: required with NOTIFY_EMAIL_TO, the sender, such as "wa-onboard <onboard@example.com>"');
  }
  if (env.TWILIO_SIGNATURE_CHECK?.trim() === 'off') {
    problems.push('TWILIO_SIGNATURE_CHECK: cannot be off in production; anyone could post a fake code');
  }
  const plainForward = (env.FORWARD_URL ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '' && !isHttpsOrLoopback(u));
  if ((env.PUBLIC_URL ?? '').trim() !== '' && !isHttpsOrLoopback(env.PUBLIC_URL!.trim())) {
    problems.push(
      'PUBLIC_URL: must be https in production (Meta only calls https webhooks, and Twilio signs the URL it called), such as https://onboard.example.com',
    );
  }
  if (plainForward.length > 0) {
    problems.push('FORWARD_URL: must be https in production (events hold customers\' messages), except on loopback');
  }
  // Set only to reach a proxy or a stand-in; over plain http they would carry the credentials in clear.
  const providers: Array<[string, string]> = [
    ['TWILIO_API_BASE_URL', "Twilio's API gets the account SID and auth token"],
    ['META_GRAPH_URL', "Meta's Graph API gets the access token"],
  ];
  for (const [key, why] of providers) {
    const url = (env[key] ?? '').trim();
    if (url !== '' && !isHttpsOrLoopback(url)) problems.push(`${key}: must be https in production (${why}), except on loopback`);
  }
  if (env.WHATSAPP_SIGNATURE_CHECK?.trim() === 'off') {
    problems.push('WHATSAPP_SIGNATURE_CHECK: cannot be off in production; anyone could post fake events');
  }
  return problems;
}

function isHttpsOrLoopback(url: string): boolean {
  try {
    // Only plain http is the problem here; any other scheme is the schema's to report.
    return new URL(url).protocol !== 'http:' || isLoopbackUrl(url);
  } catch {
    return true; // malformed: the schema reports it
  }
}

/** A token a person set must be hard to guess: the page and /api/* show every code and event. */
function adminTokenProblems(token: string | undefined): string[] {
  // Unset or malformed: reported as such elsewhere.
  if (token === undefined || !VISIBLE_16.test(token)) return [];
  const weak = weakTokenReason(token);
  return weak === null ? [] : [`ADMIN_TOKEN: ${weak}; ${TOKEN_RECIPE}`];
}

/** A forward given up is kept as a dead letter until its event is pruned: it must give up first. */
function giveUpProblems(e: Pick<Parsed, 'FORWARD_GIVE_UP_HOURS' | 'INBOX_RETENTION_DAYS'>): string[] {
  const retentionHours = e.INBOX_RETENTION_DAYS * 24;
  return e.FORWARD_GIVE_UP_HOURS < retentionHours
    ? []
    : [
        `FORWARD_GIVE_UP_HOURS: must be less than INBOX_RETENTION_DAYS × 24 (${retentionHours} hours): ` +
          'a forward given up is kept as a dead letter, to replay, until its event is pruned',
      ];
}

/** Forwarding signs what it sends, in every mode: a receiver must be able to tell our events from forgeries. */
function forwardingProblems(env: Env): string[] {
  const hasUrls = (env.FORWARD_URL ?? '').split(',').some((entry) => entry.trim() !== '');
  return hasUrls && (env.FORWARD_SECRET ?? '').trim() === ''
    ? ['FORWARD_SECRET: required with FORWARD_URL, 16+ random characters; receivers check X-Wa-Onboard-Signature-256 with it']
    : [];
}

function localConfig(e: Parsed, localSecrets: (dataDir: string) => LocalSecrets): Omit<LoadedConfig, 'missingForProduction'> {
  const notices: string[] = ['local mode (NODE_ENV is not production)'];
  const missing = LOCAL_SECRET_KEYS.filter((key) => !e[key]);
  const generated = missing.length > 0 ? localSecrets(path.resolve(e.DATA_DIR)) : undefined;
  const filled: Parsed = { ...e };
  for (const key of missing) {
    filled[key] = generated?.[key];
    notices.push(`${key} is not set: using a generated local value`);
  }
  if (e.TWILIO_SIGNATURE_CHECK === 'off') notices.push('TWILIO_SIGNATURE_CHECK=off: anyone who can reach /twilio/* can post a code');
  if (e.WHATSAPP_SIGNATURE_CHECK === 'off') {
    notices.push('WHATSAPP_SIGNATURE_CHECK=off: anyone who can reach /webhooks/whatsapp can post events');
  }
  if (!e.PUBLIC_URL) notices.push(`PUBLIC_URL is not set: using http://127.0.0.1:${e.PORT}`);
  if (!e.TWILIO_PHONE_NUMBER) notices.push('TWILIO_PHONE_NUMBER is not set: using +15005550006 (Twilio test number)');
  if (e.NOTIFY_EMAIL_TO.length === 0 && e.NOTIFY_SMS_TO.length === 0) {
    notices.push('NOTIFY_EMAIL_TO and NOTIFY_SMS_TO are not set: codes are only stored (see GET /api/codes)');
  }
  // Generated credentials cannot reach Twilio; real ones set in the environment can.
  const config = build(filled, 'local', {
    smsViaTwilio: Boolean(e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN),
    generatedSecrets: missing,
  });
  if (!config.smtp && e.NOTIFY_EMAIL_TO.length > 0) notices.push('SMTP_URL is not set: emails go to the outbox folder');
  if (!config.smsViaTwilio && e.NOTIFY_SMS_TO.length > 0) {
    notices.push('Twilio credentials are not set: SMS go to the outbox folder');
  }
  return { config, notices };
}

function build(
  e: Parsed,
  mode: Config['mode'],
  options: { smsViaTwilio: boolean; generatedSecrets: Config['generatedSecrets'] } = { smsViaTwilio: true, generatedSecrets: [] },
): Config {
  const phoneNumber = e.TWILIO_PHONE_NUMBER ?? '+15005550006';
  return {
    mode,
    port: e.PORT,
    host: e.HOST ?? (mode === 'production' ? '0.0.0.0' : '127.0.0.1'),
    http: { maxConnections: e.MAX_CONNECTIONS, unverifiedBodyBytes: e.UNVERIFIED_BODIES_MIB * 2 ** 20 },
    publicUrl: (e.PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: path.resolve(e.DATA_DIR),
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, migrate: e.DATABASE_MIGRATE === 'on' }
      : { kind: 'sqlite', migrate: e.DATABASE_MIGRATE === 'on' },
    adminToken: required(e.ADMIN_TOKEN),
    metrics: { token: e.METRICS_TOKEN ?? null, public: e.METRICS_PUBLIC === 'on' },
    twilio: {
      accountSid: required(e.TWILIO_ACCOUNT_SID),
      authToken: required(e.TWILIO_AUTH_TOKEN),
      phoneNumber,
      smsFrom: e.TWILIO_SMS_FROM ?? phoneNumber,
      apiBaseUrl: e.TWILIO_API_BASE_URL.replace(/\/+$/, ''),
      verifySignatures: e.TWILIO_SIGNATURE_CHECK === 'on',
    },
    notify: { emailTo: e.NOTIFY_EMAIL_TO, smsTo: e.NOTIFY_SMS_TO },
    smtp: e.SMTP_URL ? { url: e.SMTP_URL, from: e.EMAIL_FROM ?? `wa-onboard <wa-onboard@localhost>` } : undefined,
    smsViaTwilio: options.smsViaTwilio,
    codeLength: e.CODE_LENGTH,
    callForwarding: { limit: e.CALL_FORWARD_LIMIT, callersAllowed: e.CALLERS_ALLOWED.length > 0 ? e.CALLERS_ALLOWED : null },
    voiceLanguage: e.VOICE_LANGUAGE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    whatsapp: {
      verifyToken: required(e.WHATSAPP_VERIFY_TOKEN),
      appSecrets: [required(e.WHATSAPP_APP_SECRET), ...(e.WHATSAPP_APP_SECRET_PREVIOUS ? [e.WHATSAPP_APP_SECRET_PREVIOUS] : [])],
      verifySignatures: e.WHATSAPP_SIGNATURE_CHECK === 'on',
    },
    forward: { urls: e.FORWARD_URL, secret: e.FORWARD_SECRET ?? null, giveUpHours: e.FORWARD_GIVE_UP_HOURS },
    inboxRetentionDays: e.INBOX_RETENTION_DAYS,
    codeRetentionDays: e.CODE_RETENTION_DAYS,
    meta: {
      accessToken: e.META_ACCESS_TOKEN ?? null,
      appId: e.META_APP_ID ?? null,
      wabaId: e.META_WABA_ID ?? null,
      phoneNumberId: e.META_PHONE_NUMBER_ID ?? null,
      graphUrl: e.META_GRAPH_URL.replace(/\/+$/, ''),
      graphVersion: e.META_GRAPH_VERSION,
    },
    generatedSecrets: options.generatedSecrets,
  };
}

function required(value: string | undefined): string {
  if (value === undefined) throw new Error('a required setting was not filled in');
  return value;
}
