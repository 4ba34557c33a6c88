import { ConfigError, loadConfig, type Env, type LocalSecrets } from '../../src/config';

// Settings that look safe but are not (issue 16): each is refused, naming the setting.

/** Every variable production needs, valid. */
const PRODUCTION: Env = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://onboard.example.com',
  ADMIN_TOKEN: '9f1c2e7a4b0d83f65ac1e29d7b3f04a8c6e51d92b07f3a4e',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'a1b2c3d4'.repeat(4),
  TWILIO_PHONE_NUMBER: '+14155550123',
  NOTIFY_SMS_TO: '+14155550199',
  WHATSAPP_VERIFY_TOKEN: 'verify-token-0123',
  WHATSAPP_APP_SECRET: 'app-secret-0123456789abcdef',
};

const GENERATED: LocalSecrets = {
  ADMIN_TOKEN: 'generated-admin-token-SECRET-1',
  TWILIO_ACCOUNT_SID: `AC${'fedcba9876543210'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'generated-auth-token-SECRET-2',
  WHATSAPP_VERIFY_TOKEN: 'generated-verify-token-SECRET-3',
  WHATSAPP_APP_SECRET: 'generated-app-secret-SECRET-4',
};

function problemsOf(env: Env): ConfigError {
  try {
    loadConfig(env, () => GENERATED);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

describe('NODE_ENV', () => {
  it.each(['prod', 'Production', 'staging', 'production '])('refuses NODE_ENV=%j, naming it and the values it takes (exit 78)', (value) => {
    const error = problemsOf({ ...PRODUCTION, NODE_ENV: value });
    expect(error.exitCode).toBe(78);
    expect(error.problems).toEqual([
      'NODE_ENV: must be production, development or test, or unset (anything else would silently run local mode)',
    ]);
  });

  it('refuses an unknown NODE_ENV even when nothing else is set, rather than starting local mode', () => {
    expect(problemsOf({ NODE_ENV: 'prod' }).problems.map((p) => p.split(':')[0])).toEqual(['NODE_ENV']);
  });

  it.each([['development'], ['test'], [''], [undefined]])('runs local mode with NODE_ENV=%j', (value) => {
    expect(loadConfig({ NODE_ENV: value }, () => GENERATED).config.mode).toBe('local');
  });
});

describe('plain http outside loopback', () => {
  it.each(['PUBLIC_URL', 'FORWARD_URL', 'TWILIO_API_BASE_URL', 'META_GRAPH_URL'])(
    'takes a host that only starts with 127. for what it is in %s: not loopback',
    (key) => {
      const error = problemsOf({ ...PRODUCTION, FORWARD_SECRET: 'forward-secret-0123456789', [key]: 'http://127.attacker.example/' });
      expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^${key}: must be https in production`))]);
    },
  );

  it("refuses TWILIO_API_BASE_URL over http: it would carry Twilio's basic auth in clear", () => {
    const error = problemsOf({ ...PRODUCTION, TWILIO_API_BASE_URL: 'http://twilio-proxy.example.net' });
    expect(error.problems).toEqual([
      "TWILIO_API_BASE_URL: must be https in production (Twilio's API gets the account SID and auth token), except on loopback",
    ]);
  });

  it("refuses META_GRAPH_URL over http: it would carry Meta's token in clear", () => {
    const error = problemsOf({ ...PRODUCTION, META_GRAPH_URL: 'http://graph-proxy.example.net' });
    expect(error.problems).toEqual([
      "META_GRAPH_URL: must be https in production (Meta's Graph API gets the access token), except on loopback",
    ]);
  });

  it("accepts Twilio's and Meta's URLs over http on loopback (the tests' stand-ins), and over https anywhere", () => {
    const { config } = loadConfig(
      { ...PRODUCTION, TWILIO_API_BASE_URL: 'http://127.0.0.1:4010', META_GRAPH_URL: 'http://[::1]:4020', FORWARD_URL: 'https://x.example/e', FORWARD_SECRET: 'forward-secret-0123456789' },
      () => GENERATED,
    );
    expect([config.twilio.apiBaseUrl, config.meta.graphUrl]).toEqual(['http://127.0.0.1:4010', 'http://[::1]:4020']);
    const proxied = loadConfig({ ...PRODUCTION, TWILIO_API_BASE_URL: 'https://twilio-proxy.example.net' }, () => GENERATED);
    expect(proxied.config.twilio.apiBaseUrl).toBe('https://twilio-proxy.example.net');
  });

  it('lists an http provider URL as missing for production in local mode, where it is allowed', () => {
    const { missingForProduction } = loadConfig({ ...PRODUCTION, NODE_ENV: '', TWILIO_API_BASE_URL: 'http://twilio-proxy.example.net' }, () => GENERATED);
    expect(missingForProduction).toEqual([expect.stringMatching(/^TWILIO_API_BASE_URL: must be https/)]);
  });
});

describe('ADMIN_TOKEN in production', () => {
  it('refuses 16 copies of one letter, says how to make a token, and never quotes it', () => {
    const error = problemsOf({ ...PRODUCTION, ADMIN_TOKEN: 'q'.repeat(16) });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^ADMIN_TOKEN: uses only 1 different character \(at least 8\); generate one with `openssl rand -hex 24` or `node -e/);
    expect(error.message).not.toContain('q'.repeat(16));
  });

  it('refuses a token of too few bits: a short pattern repeated', () => {
    const error = problemsOf({ ...PRODUCTION, ADMIN_TOKEN: 'Secret12!Secret12!Secret12!Secret12!' });
    expect(error.problems).toEqual([expect.stringMatching(/^ADMIN_TOKEN: is too easy to guess \(about \d+ bits; at least 80\); generate one with/)]);
  });

  it('accepts a weak token in local mode, and lists it as what production would refuse', () => {
    const { config, missingForProduction } = loadConfig({ ...PRODUCTION, NODE_ENV: 'development', ADMIN_TOKEN: 'q'.repeat(16) }, () => GENERATED);
    expect(config.adminToken).toBe('q'.repeat(16));
    expect(missingForProduction).toEqual([expect.stringMatching(/^ADMIN_TOKEN: uses only 1 different character/)]);
  });
});
