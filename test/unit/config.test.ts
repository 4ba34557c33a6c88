import path from 'node:path';
import { ConfigError, DEFAULT_GRAPH_VERSION, loadConfig, maskedDatabaseUrl, type Env, type LocalSecrets } from '../../src/config';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'a1b2c3d4'.repeat(4);
const ADMIN_TOKEN = 'admin-token-0123456789';

/** Every variable production needs, valid. */
const PRODUCTION: Env = {
  NODE_ENV: 'production',
  PORT: '8080',
  PUBLIC_URL: 'https://onboard.example.com/',
  DATA_DIR: '/var/lib/wa-onboard',
  ADMIN_TOKEN,
  TWILIO_ACCOUNT_SID: SID,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: '+14155550123',
  NOTIFY_EMAIL_TO: 'ops@example.com, owner@example.com',
  NOTIFY_SMS_TO: '+14155550199,+447700900123',
  SMTP_URL: 'smtp://user:pass@smtp.example.com:587',
  EMAIL_FROM: 'wa-onboard <onboard@example.com>',
  CODE_LENGTH: '6',
  VOICE_LANGUAGE: 'en-GB',
  LOG_LEVEL: 'warn',
  WHATSAPP_VERIFY_TOKEN: 'verify-token-0123',
  WHATSAPP_APP_SECRET: 'app-secret-0123456789abcdef',
};

/** Values the local-secrets callback hands out; distinctive so a leak into a notice is visible. */
const GENERATED: LocalSecrets = {
  ADMIN_TOKEN: 'generated-admin-token-SECRET-1',
  TWILIO_ACCOUNT_SID: `AC${'fedcba9876543210'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'generated-auth-token-SECRET-2',
  WHATSAPP_VERIFY_TOKEN: 'generated-verify-token-SECRET-3',
  WHATSAPP_APP_SECRET: 'generated-app-secret-SECRET-4',
};

/** `env` with `keys` removed, as if they were never exported. */
function without(env: Env, ...keys: string[]): Env {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !keys.includes(key)));
}

const SMS_ONLY = without(PRODUCTION, 'NOTIFY_EMAIL_TO', 'SMTP_URL', 'EMAIL_FROM');

function noSecretsExpected(): LocalSecrets {
  throw new Error('localSecrets must not be called here');
}

/** The ConfigError `loadConfig` throws for `env`; fails the test if it returns instead. */
function problemsOf(env: Env): ConfigError {
  try {
    loadConfig(env, noSecretsExpected);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

describe('loadConfig in production', () => {
  it('turns a complete environment into a typed Config', () => {
    const { config, notices } = loadConfig(PRODUCTION, noSecretsExpected);

    expect(config).toEqual({
      mode: 'production',
      port: 8080,
      host: '0.0.0.0',
      http: { maxConnections: 1000, unverifiedBodyBytes: 64 * 2 ** 20 },
      publicUrl: 'https://onboard.example.com',
      dataDir: path.resolve('/var/lib/wa-onboard'),
      database: { kind: 'sqlite', migrate: true },
      adminToken: ADMIN_TOKEN,
      metrics: { token: null, public: false },
      twilio: {
        accountSid: SID,
        authToken: AUTH_TOKEN,
        phoneNumber: '+14155550123',
        smsFrom: '+14155550123',
        apiBaseUrl: 'https://api.twilio.com',
        verifySignatures: true,
      },
      notify: {
        emailTo: ['ops@example.com', 'owner@example.com'],
        smsTo: ['+14155550199', '+447700900123'],
      },
      smtp: { url: 'smtp://user:pass@smtp.example.com:587', from: 'wa-onboard <onboard@example.com>' },
      smsViaTwilio: true,
      codeLength: 6,
      callForwarding: { limit: 10, callersAllowed: null },
      voiceLanguage: 'en-GB',
      logLevel: 'warn',
      logFormat: 'auto',
      whatsapp: {
        verifyToken: 'verify-token-0123',
        appSecrets: ['app-secret-0123456789abcdef'],
        verifySignatures: true,
      },
      forward: { urls: [], secret: null, giveUpHours: 72 },
      inboxRetentionDays: 14,
      codeRetentionDays: 30,
      meta: {
        accessToken: null,
        appId: null,
        wabaId: null,
        phoneNumberId: null,
        graphUrl: 'https://graph.facebook.com',
        graphVersion: DEFAULT_GRAPH_VERSION,
      },
      generatedSecrets: [],
    });
    expect(notices).toEqual([]);
  });

  it('listens on HOST when it is set', () => {
    expect(loadConfig({ ...PRODUCTION, HOST: '10.0.0.5' }, noSecretsExpected).config.host).toBe('10.0.0.5');
  });

  it('refuses an http PUBLIC_URL outside loopback, naming PUBLIC_URL', () => {
    const error = problemsOf({ ...PRODUCTION, PUBLIC_URL: 'http://onboard.example.com' });
    expect(error.exitCode).toBe(78);
    expect(error.problems).toEqual([expect.stringMatching(/^PUBLIC_URL: must be https in production/)]);
  });

  it('accepts an http PUBLIC_URL on loopback (a proxy on the same machine terminates TLS)', () => {
    expect(loadConfig({ ...PRODUCTION, PUBLIC_URL: 'http://127.0.0.1:8080' }, noSecretsExpected).config.publicUrl).toBe(
      'http://127.0.0.1:8080',
    );
  });

  it('removes every trailing slash from PUBLIC_URL so signed URLs match', () => {
    const { config } = loadConfig({ ...PRODUCTION, PUBLIC_URL: 'https://onboard.example.com/hooks//' }, noSecretsExpected);
    expect(config.publicUrl).toBe('https://onboard.example.com/hooks');
  });

  it('sends SMS from TWILIO_SMS_FROM when it is set instead of the registered number', () => {
    const service = `MG${'0123456789abcdef'.repeat(2)}`;
    const { config } = loadConfig({ ...PRODUCTION, TWILIO_SMS_FROM: service }, noSecretsExpected);
    expect(config.twilio.smsFrom).toBe(service);
    expect(config.twilio.phoneNumber).toBe('+14155550123');
  });

  it('names every missing variable in one ConfigError that exits with EX_CONFIG (78)', () => {
    const error = problemsOf({ NODE_ENV: 'production' });

    expect(error.exitCode).toBe(78);
    const named = error.problems.map((p) => p.split(':')[0]);
    expect(named).toEqual([
      'PUBLIC_URL',
      'ADMIN_TOKEN',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_PHONE_NUMBER',
      'WHATSAPP_VERIFY_TOKEN',
      'WHATSAPP_APP_SECRET',
      'NOTIFY_EMAIL_TO or NOTIFY_SMS_TO',
    ]);
    expect(error.message).toContain('PUBLIC_URL');
  });

  it('accepts SMS recipients alone, without any email settings', () => {
    const { config } = loadConfig(SMS_ONLY, noSecretsExpected);
    expect(config.notify.emailTo).toEqual([]);
    expect(config.smtp).toBeUndefined();
  });

  it('requires SMTP_URL and EMAIL_FROM when NOTIFY_EMAIL_TO is set', () => {
    const error = problemsOf(without(PRODUCTION, 'SMTP_URL', 'EMAIL_FROM'));
    expect(error.problems.map((p) => p.split(':')[0])).toEqual(['SMTP_URL', 'EMAIL_FROM']);
  });

  it('refuses TWILIO_SIGNATURE_CHECK=off', () => {
    const error = problemsOf({ ...PRODUCTION, TWILIO_SIGNATURE_CHECK: 'off' });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^TWILIO_SIGNATURE_CHECK: cannot be off in production/);
  });

  it('treats blank and whitespace-only values as unset', () => {
    const error = problemsOf({ ...PRODUCTION, PUBLIC_URL: '', ADMIN_TOKEN: '   ', NOTIFY_EMAIL_TO: ' ', NOTIFY_SMS_TO: '' });
    expect(error.problems.map((p) => p.split(':')[0])).toEqual([
      'PUBLIC_URL',
      'ADMIN_TOKEN',
      'NOTIFY_EMAIL_TO or NOTIFY_SMS_TO',
    ]);
  });

  it('counts a recipient list of only commas as no recipient', () => {
    const error = problemsOf({ ...SMS_ONLY, NOTIFY_SMS_TO: ' , ' });
    expect(error.problems.map((p) => p.split(':')[0])).toEqual(['NOTIFY_EMAIL_TO or NOTIFY_SMS_TO']);
  });

  it('uses defaults for blank optional values', () => {
    const { config } = loadConfig(
      { ...PRODUCTION, PORT: '', CODE_LENGTH: ' ', VOICE_LANGUAGE: '', LOG_LEVEL: '' },
      noSecretsExpected,
    );
    expect([config.port, config.codeLength, config.voiceLanguage, config.logLevel]).toEqual([3000, 6, 'en-US', 'info']);
  });

  // ConfigError's contract: "problems lists every one of them ... so an operator fixes them all in one go".
  it('reports a malformed value and a missing variable in the same error', () => {
    const error = problemsOf({ ...without(PRODUCTION, 'PUBLIC_URL'), PORT: 'abc' });
    const named = error.problems.map((p) => p.split(':')[0]);
    expect(named).toContain('PORT');
    expect(named).toContain('PUBLIC_URL');
  });
});

describe('loadConfig with malformed values', () => {
  const rows: Array<[variable: string, value: string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PUBLIC_URL', 'ftp://onboard.example.com'],
    ['TWILIO_PHONE_NUMBER', '5551234'],
    ['TWILIO_ACCOUNT_SID', 'AC123'],
    ['TWILIO_SMS_FROM', 'MGnothex'],
    ['NOTIFY_SMS_TO', '+14155550199, 5551234'],
    ['NOTIFY_EMAIL_TO', 'ops@example.com, not-an-address'],
    ['SMTP_URL', 'http://x'],
    ['VOICE_LANGUAGE', 'english'],
    ['CODE_LENGTH', '3'],
    ['CODE_LENGTH', '11'],
    ['LOG_LEVEL', 'verbose'],
    ['METRICS_TOKEN', 'too-short'],
    ['METRICS_TOKEN', 'has a space in it 0123'],
    ['METRICS_PUBLIC', 'yes'],
    ['CODE_RETENTION_DAYS', '0'],
    ['CODE_RETENTION_DAYS', '3651'],
    ['CODE_RETENTION_DAYS', '7.5'],
    ['CALL_FORWARD_LIMIT', '0'],
    ['CALL_FORWARD_LIMIT', '1001'],
    ['CALL_FORWARD_LIMIT', 'ten'],
    ['CALLERS_ALLOWED', '+1650, 1415'],
    ['CALLERS_ALLOWED', '+44, +0'],
    ['CALLERS_ALLOWED', '+1650*'],
  ];

  it.each(rows)('reports %s=%j by name', (variable, value) => {
    const error = problemsOf({ ...PRODUCTION, [variable]: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${variable}(\\.\\d+)?: `));
  });

  it('reports malformed values in local mode too', () => {
    const error = problemsOf({ PORT: 'abc', CODE_LENGTH: '3' });
    expect(error.problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'CODE_LENGTH']);
  });

  it('never echoes a malformed secret back in the problems', () => {
    const badToken = 'short-SECRET';
    const badAuth = 'has a SECRET space inside it';
    const error = problemsOf({ ...PRODUCTION, ADMIN_TOKEN: badToken, TWILIO_AUTH_TOKEN: badAuth });
    expect(error.problems.map((p) => p.split(':')[0])).toEqual(['ADMIN_TOKEN', 'TWILIO_AUTH_TOKEN']);
    expect(error.message).not.toContain(badToken);
    expect(error.message).not.toContain(badAuth);
  });
});

describe('loadConfig in local mode', () => {
  it('fills missing secrets from the callback and says what it filled in', () => {
    const localSecrets = jest.fn(() => GENERATED);
    const { config, notices } = loadConfig({}, localSecrets);

    expect(localSecrets).toHaveBeenCalledTimes(1);
    expect(localSecrets).toHaveBeenCalledWith(path.resolve('./data'));
    expect(config.mode).toBe('local');
    expect(config.adminToken).toBe(GENERATED.ADMIN_TOKEN);
    expect(config.twilio.accountSid).toBe(GENERATED.TWILIO_ACCOUNT_SID);
    expect(config.twilio.authToken).toBe(GENERATED.TWILIO_AUTH_TOKEN);
    expect(config.publicUrl).toBe('http://127.0.0.1:3000');
    expect(config.twilio.phoneNumber).toBe('+15005550006');
    expect(config.twilio.verifySignatures).toBe(true);
    expect(config.smtp).toBeUndefined();
    const text = notices.join('\n');
    for (const missing of ['ADMIN_TOKEN', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'PUBLIC_URL', 'TWILIO_PHONE_NUMBER']) {
      expect(text).toContain(`${missing} is not set`);
    }
  });

  it('names the secrets it generated, for the operator page, and only those', () => {
    const { config } = loadConfig({ ADMIN_TOKEN: ADMIN_TOKEN, WHATSAPP_APP_SECRET: 'app-secret-0123456789abcdef' }, () => GENERATED);
    expect(config.generatedSecrets).toEqual(['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'WHATSAPP_VERIFY_TOKEN']);
  });

  it('never puts a generated secret in a notice', () => {
    const { notices } = loadConfig({ NOTIFY_EMAIL_TO: 'ops@example.com', NOTIFY_SMS_TO: '+14155550199' }, () => GENERATED);
    const text = notices.join('\n');
    for (const secret of Object.values(GENERATED)) expect(text).not.toContain(secret);
  });

  // Generated credentials cannot reach Twilio: only ones set in the environment turn SMS on.
  it('keeps SMS off Twilio when its credentials were generated', () => {
    const { config, notices } = loadConfig({ NOTIFY_SMS_TO: '+14155550199' }, () => GENERATED);
    expect(config.smsViaTwilio).toBe(false);
    expect(notices.join('\n')).toContain('SMS go to the outbox folder');
  });

  it('sends SMS through Twilio when real credentials are set', () => {
    const { config } = loadConfig(
      { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, NOTIFY_SMS_TO: '+14155550199' },
      () => GENERATED,
    );
    expect(config.smsViaTwilio).toBe(true);
  });

  it('never calls the callback when every secret is set', () => {
    const localSecrets = jest.fn(() => GENERATED);
    const { config, notices } = loadConfig(
      {
        ADMIN_TOKEN,
        TWILIO_ACCOUNT_SID: SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        WHATSAPP_VERIFY_TOKEN: 'verify-token-0123',
        WHATSAPP_APP_SECRET: 'app-secret-0123456789abcdef',
      },
      localSecrets,
    );
    expect(localSecrets).not.toHaveBeenCalled();
    expect(config.adminToken).toBe(ADMIN_TOKEN);
    expect(notices.join('\n')).not.toContain('generated');
  });

  it('generates only the secret that is missing', () => {
    const { config } = loadConfig({ ADMIN_TOKEN, TWILIO_ACCOUNT_SID: SID }, () => GENERATED);
    expect(config.adminToken).toBe(ADMIN_TOKEN);
    expect(config.twilio.accountSid).toBe(SID);
    expect(config.twilio.authToken).toBe(GENERATED.TWILIO_AUTH_TOKEN);
  });

  it('treats blank secrets as unset and generates them', () => {
    const { config } = loadConfig({ ADMIN_TOKEN: '', TWILIO_ACCOUNT_SID: ' ', TWILIO_AUTH_TOKEN: '' }, () => GENERATED);
    expect(config.adminToken).toBe(GENERATED.ADMIN_TOKEN);
    expect(config.twilio.accountSid).toBe(GENERATED.TWILIO_ACCOUNT_SID);
  });

  it('accepts TWILIO_SIGNATURE_CHECK=off and stops verifying signatures', () => {
    const { config } = loadConfig({ TWILIO_SIGNATURE_CHECK: 'off' }, () => GENERATED);
    expect(config.twilio.verifySignatures).toBe(false);
  });

  it('listens on loopback unless HOST says otherwise: generated secrets are for this machine only', () => {
    expect(loadConfig({}, () => GENERATED).config.host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }, () => GENERATED).config.host).toBe('0.0.0.0');
  });

  it('refuses a HOST that is not an address', () => {
    expect(problemsOf({ HOST: 'not an address' }).problems).toEqual([expect.stringMatching(/^HOST: must be an address/)]);
  });

  it('builds the local public URL from PORT', () => {
    const { config, notices } = loadConfig({ PORT: '4000' }, () => GENERATED);
    expect(config.publicUrl).toBe('http://127.0.0.1:4000');
    expect(notices).toContain('PUBLIC_URL is not set: using http://127.0.0.1:4000');
  });

  it('tells the operator emails go to the outbox when SMTP_URL is missing', () => {
    const { config, notices } = loadConfig({ NOTIFY_EMAIL_TO: 'ops@example.com' }, () => GENERATED);
    expect(config.smtp).toBeUndefined();
    expect(notices).toContain('SMTP_URL is not set: emails go to the outbox folder');
  });

  it('gives EMAIL_FROM a default when only SMTP_URL is set', () => {
    const { config } = loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' }, () => GENERATED);
    expect(config.smtp).toEqual({ url: 'smtp://127.0.0.1:2525', from: 'wa-onboard <wa-onboard@localhost>' });
  });

  it('says what production would refuse in this environment, each problem led by its variable', () => {
    const { missingForProduction } = loadConfig({ NOTIFY_EMAIL_TO: 'me@example.com', TWILIO_SIGNATURE_CHECK: 'off' }, () => GENERATED);
    expect(missingForProduction.map((problem) => problem.split(':')[0])).toEqual([
      'PUBLIC_URL',
      'ADMIN_TOKEN',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_PHONE_NUMBER',
      'WHATSAPP_VERIFY_TOKEN',
      'WHATSAPP_APP_SECRET',
      'SMTP_URL',
      'EMAIL_FROM',
      'TWILIO_SIGNATURE_CHECK',
    ]);
    expect(loadConfig(PRODUCTION, noSecretsExpected).missingForProduction).toEqual([]);
  });

  it('says codes are only stored when no recipient is set', () => {
    const { notices } = loadConfig({}, () => GENERATED);
    expect(notices.some((n) => n.startsWith('NOTIFY_EMAIL_TO and NOTIFY_SMS_TO are not set'))).toBe(true);
  });
});

describe('loadConfig for the WhatsApp webhook', () => {
  it('accepts the previous app secret during a rotation, after the current one', () => {
    const { config } = loadConfig(
      { ...PRODUCTION, WHATSAPP_APP_SECRET_PREVIOUS: 'old-app-secret-0123456789' },
      noSecretsExpected,
    );
    expect(config.whatsapp.appSecrets).toEqual(['app-secret-0123456789abcdef', 'old-app-secret-0123456789']);
  });

  it('refuses WHATSAPP_SIGNATURE_CHECK=off in production', () => {
    const error = problemsOf({ ...PRODUCTION, WHATSAPP_SIGNATURE_CHECK: 'off' });
    expect(error.problems).toEqual([expect.stringMatching(/^WHATSAPP_SIGNATURE_CHECK: cannot be off in production/)]);
  });

  it('accepts WHATSAPP_SIGNATURE_CHECK=off in local mode and says what it means', () => {
    const { config, notices } = loadConfig({ WHATSAPP_SIGNATURE_CHECK: 'off' }, () => GENERATED);
    expect(config.whatsapp.verifySignatures).toBe(false);
    expect(notices.some((n) => n.startsWith('WHATSAPP_SIGNATURE_CHECK=off'))).toBe(true);
  });

  it('splits FORWARD_URL into targets and keeps FORWARD_SECRET', () => {
    const { config } = loadConfig(
      { ...PRODUCTION, FORWARD_URL: 'https://a.example.com/hook, http://127.0.0.1:9000/events', FORWARD_SECRET: 'forward-secret-0123' },
      noSecretsExpected,
    );
    expect(config.forward).toEqual({
      urls: ['https://a.example.com/hook', 'http://127.0.0.1:9000/events'],
      secret: 'forward-secret-0123',
      giveUpHours: 72,
    });
  });

  it.each([
    ['production', PRODUCTION],
    ['local mode', {}],
  ])('requires FORWARD_SECRET with FORWARD_URL in %s: a forward must be signed', (_mode, env) => {
    let error: unknown;
    try {
      loadConfig({ ...env, FORWARD_URL: 'https://a.example.com/hook' }, () => GENERATED);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^FORWARD_SECRET: required with FORWARD_URL/)]);
  });

  it('refuses a FORWARD_URL entry that looks like a URL but cannot be read as one', () => {
    const error = problemsOf({ ...PRODUCTION, FORWARD_URL: 'https://user:pw@host.example:99999/x', FORWARD_SECRET: 'forward-secret-0123' });
    expect(error.problems).toEqual([expect.stringMatching(/^FORWARD_URL\.0: each entry must be an http\(s\) URL/)]);
    // The message never repeats the entry: it may hold a password.
    expect(error.message).not.toContain('pw@');
  });

  it('refuses a FORWARD_URL entry that is not an http(s) URL', () => {
    const error = problemsOf({ ...PRODUCTION, FORWARD_URL: 'ftp://x.example.com', FORWARD_SECRET: 'forward-secret-0123' });
    expect(error.problems).toEqual([expect.stringMatching(/^FORWARD_URL\.0: each entry must be an http\(s\) URL/)]);
  });

  it('keeps stored events for 14 days unless told otherwise, and never less than Meta retries', () => {
    expect(loadConfig(PRODUCTION, noSecretsExpected).config.inboxRetentionDays).toBe(14);
    expect(loadConfig({ ...PRODUCTION, INBOX_RETENTION_DAYS: '30' }, noSecretsExpected).config.inboxRetentionDays).toBe(30);
    const error = problemsOf({ ...PRODUCTION, INBOX_RETENTION_DAYS: '7' });
    expect(error.problems).toEqual([expect.stringMatching(/^INBOX_RETENTION_DAYS: must be at least 8/)]);
  });

  it('gives up a failing forward after FORWARD_GIVE_UP_HOURS, 72 unless told otherwise', () => {
    expect(loadConfig(PRODUCTION, noSecretsExpected).config.forward.giveUpHours).toBe(72);
    expect(loadConfig({ ...PRODUCTION, FORWARD_GIVE_UP_HOURS: '6' }, noSecretsExpected).config.forward.giveUpHours).toBe(6);
    expect(problemsOf({ ...PRODUCTION, FORWARD_GIVE_UP_HOURS: '1.5' }).problems).toEqual([expect.stringMatching(/^FORWARD_GIVE_UP_HOURS: /)]);
    expect(problemsOf({ ...PRODUCTION, FORWARD_GIVE_UP_HOURS: '0' }).problems).toEqual(['FORWARD_GIVE_UP_HOURS: must be at least 1']);
  });

  it('refuses a FORWARD_GIVE_UP_HOURS that reaches the retention period, naming both: a dead letter must outlive its give-up', () => {
    const error = problemsOf({ ...PRODUCTION, INBOX_RETENTION_DAYS: '8', FORWARD_GIVE_UP_HOURS: '192' });
    expect(error.problems).toEqual([expect.stringMatching(/^FORWARD_GIVE_UP_HOURS: must be less than INBOX_RETENTION_DAYS × 24 \(192 hours\)/)]);
    expect(loadConfig({ ...PRODUCTION, INBOX_RETENTION_DAYS: '8', FORWARD_GIVE_UP_HOURS: '191' }, noSecretsExpected).config.forward.giveUpHours).toBe(191);
  });

  it('generates the verify token and app secret in local mode and says so', () => {
    const { config, notices } = loadConfig({}, () => GENERATED);
    expect(config.whatsapp.verifyToken).toBe(GENERATED.WHATSAPP_VERIFY_TOKEN);
    expect(config.whatsapp.appSecrets).toEqual([GENERATED.WHATSAPP_APP_SECRET]);
    expect(notices).toEqual(
      expect.arrayContaining([
        'WHATSAPP_VERIFY_TOKEN is not set: using a generated local value',
        'WHATSAPP_APP_SECRET is not set: using a generated local value',
      ]),
    );
  });
});

describe('FORWARD_URL in production', () => {
  const withForward = (url: string) => ({ ...PRODUCTION, FORWARD_URL: url, FORWARD_SECRET: 'forward-secret-0123' });

  it('refuses plain http to another host: events hold customers\' messages', () => {
    const error = problemsOf(withForward('http://hooks.example.com/wa'));
    expect(error.problems).toEqual([expect.stringMatching(/^FORWARD_URL: must be https in production/)]);
  });

  it.each(['http://127.0.0.1:9000/events', 'http://localhost/events', 'https://hooks.example.com/wa'])('accepts %s', (url) => {
    expect(loadConfig(withForward(url), noSecretsExpected).config.forward.urls).toEqual([url]);
  });
});

describe("Meta's settings (for the wa-onboard command)", () => {
  it('are optional for the service', () => {
    expect(loadConfig(PRODUCTION, noSecretsExpected).config.meta.accessToken).toBeNull();
  });

  it('reads the token, the ids, the Graph URL without its trailing slash, and the version', () => {
    const { config } = loadConfig(
      {
        ...PRODUCTION,
        META_ACCESS_TOKEN: 'EAAG-system-user-token-0123456789',
        META_APP_ID: '1234567890123',
        META_WABA_ID: '102290129340398',
        META_PHONE_NUMBER_ID: '106540352242922',
        META_GRAPH_URL: 'http://127.0.0.1:9999/',
        META_GRAPH_VERSION: 'v25.0',
      },
      noSecretsExpected,
    );
    expect(config.meta).toEqual({
      accessToken: 'EAAG-system-user-token-0123456789',
      appId: '1234567890123',
      wabaId: '102290129340398',
      phoneNumberId: '106540352242922',
      graphUrl: 'http://127.0.0.1:9999',
      graphVersion: 'v25.0',
    });
  });

  it('refuses a phone number in place of its id, and a version without its v', () => {
    const { problems } = problemsOf({ ...PRODUCTION, META_PHONE_NUMBER_ID: '+15005550006', META_GRAPH_VERSION: '26.0' });
    expect(problems).toEqual([
      expect.stringMatching(/^META_PHONE_NUMBER_ID: must be the numeric phone number id/) as string,
      expect.stringMatching(/^META_GRAPH_VERSION: must be a Graph API version such as v26\.0/) as string,
    ]);
  });
});

describe('the phone line: CALL_FORWARD_LIMIT and CALLERS_ALLOWED', () => {
  it('forwards 10 calls an hour from every caller unless told otherwise', () => {
    expect(loadConfig(PRODUCTION, noSecretsExpected).config.callForwarding).toEqual({ limit: 10, callersAllowed: null });
    expect(loadConfig({ ...PRODUCTION, CALLERS_ALLOWED: ' , ' }, noSecretsExpected).config.callForwarding.callersAllowed).toBeNull();
  });

  it('reads the limit, and the allowed prefixes as a trimmed list', () => {
    const { callForwarding } = loadConfig({ ...PRODUCTION, CALL_FORWARD_LIMIT: '3', CALLERS_ALLOWED: '+1650, +44 ,+4915' }, noSecretsExpected).config;
    expect(callForwarding).toEqual({ limit: 3, callersAllowed: ['+1650', '+44', '+4915'] });
  });

  it('names the entry form when a prefix is not E.164', () => {
    expect(problemsOf({ ...PRODUCTION, CALLERS_ALLOWED: '1650' }).problems).toEqual(['CALLERS_ALLOWED.0: each entry must be an E.164 prefix such as +1650 or +44']);
  });
});

describe('LOG_FORMAT', () => {
  it('is auto unless set, and takes json or pretty', () => {
    expect(loadConfig(PRODUCTION, noSecretsExpected).config.logFormat).toBe('auto');
    expect(loadConfig({ ...PRODUCTION, LOG_FORMAT: 'json' }, noSecretsExpected).config.logFormat).toBe('json');
    expect(loadConfig({ ...PRODUCTION, LOG_FORMAT: 'pretty' }, noSecretsExpected).config.logFormat).toBe('pretty');
  });

  it('refuses anything else, naming the three it takes', () => {
    expect(problemsOf({ ...PRODUCTION, LOG_FORMAT: 'text' }).problems).toEqual([expect.stringMatching(/^LOG_FORMAT: .*"auto".*"json".*"pretty"/)]);
  });
});

describe('the database settings', () => {
  const URL_WITH_PASSWORD = 'postgres://wa:s3cret-pass@db.internal:5432/wa_onboard?sslmode=verify-full';

  it('keeps everything in SQLite under DATA_DIR when DATABASE_URL is unset', () => {
    expect(loadConfig(PRODUCTION, noSecretsExpected).config.database).toEqual({ kind: 'sqlite', migrate: true });
  });

  it('keeps everything in PostgreSQL when DATABASE_URL is set, with 10 connections and migrations at start', () => {
    const { config } = loadConfig({ ...PRODUCTION, DATABASE_URL: URL_WITH_PASSWORD }, noSecretsExpected);
    expect(config.database).toEqual({ kind: 'postgres', url: URL_WITH_PASSWORD, poolMax: 10, migrate: true });
  });

  it('reads DATABASE_POOL_MAX and DATABASE_MIGRATE=off', () => {
    const { config } = loadConfig({ ...PRODUCTION, DATABASE_URL: URL_WITH_PASSWORD, DATABASE_POOL_MAX: '25', DATABASE_MIGRATE: 'off' }, noSecretsExpected);
    expect(config.database).toEqual({ kind: 'postgres', url: URL_WITH_PASSWORD, poolMax: 25, migrate: false });
  });

  it('accepts the postgresql:// scheme too', () => {
    const { config } = loadConfig({ ...PRODUCTION, DATABASE_URL: 'postgresql://wa@127.0.0.1/wa' }, noSecretsExpected);
    expect(config.database.kind).toBe('postgres');
  });

  it.each([
    ['DATABASE_URL', 'mysql://wa:pw@db/wa'],
    ['DATABASE_URL', '/var/run/postgresql'],
    ['DATABASE_POOL_MAX', '1'],
    ['DATABASE_POOL_MAX', 'many'],
    ['DATABASE_MIGRATE', 'yes'],
  ])('refuses %s=%j, naming it', (key, value) => {
    expect(() => loadConfig({ ...PRODUCTION, [key]: value }, noSecretsExpected)).toThrow(new RegExp(`${key}:`));
  });

  it('never echoes the password of a malformed DATABASE_URL', () => {
    let message = '';
    try {
      loadConfig({ ...PRODUCTION, DATABASE_URL: 'mysql://wa:s3cret-pass@db/wa' }, noSecretsExpected);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('s3cret-pass');
  });

  it('masks the password when the URL is shown', () => {
    expect(maskedDatabaseUrl(URL_WITH_PASSWORD)).toBe('postgres://wa:***@db.internal:5432/wa_onboard?sslmode=verify-full');
    expect(maskedDatabaseUrl('postgres://wa@db/wa')).toBe('postgres://wa@db/wa');
    expect(maskedDatabaseUrl('postgres://wa@db/wa?password=hunter2&sslmode=require')).toBe('postgres://wa@db/wa?password=***&sslmode=require');
  });
});

describe("what strangers' connections may hold: MAX_CONNECTIONS and UNVERIFIED_BODIES_MIB", () => {
  it('reads both, the budget in MiB', () => {
    const { http } = loadConfig({ ...PRODUCTION, MAX_CONNECTIONS: '250', UNVERIFIED_BODIES_MIB: '16' }, noSecretsExpected).config;
    expect(http).toEqual({ maxConnections: 250, unverifiedBodyBytes: 16 * 2 ** 20 });
  });

  it("refuses a budget too small for one webhook body at Meta's 3 MB limit", () => {
    expect(problemsOf({ ...PRODUCTION, UNVERIFIED_BODIES_MIB: '2' }).problems).toEqual([
      "UNVERIFIED_BODIES_MIB: must be at least 3: one webhook body of 3 MB (Meta's limit) must fit",
    ]);
  });

  it('refuses connections that are not a whole number of at least 10', () => {
    expect(problemsOf({ ...PRODUCTION, MAX_CONNECTIONS: 'many' }).problems).toEqual([
      'MAX_CONNECTIONS: must be a whole number of connections from 10 to 100000',
    ]);
    expect(problemsOf({ ...PRODUCTION, MAX_CONNECTIONS: '5' }).problems).toEqual([expect.stringMatching(/^MAX_CONNECTIONS: /)]);
  });
});
