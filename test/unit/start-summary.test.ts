import { loadConfig, type Env, type LocalSecrets } from '../../src/config';
import { renderStartSummary, type StartFacts } from '../../src/start/start-summary';

const GENERATED: LocalSecrets = {
  ADMIN_TOKEN: 'generated-admin-token-LEAK-1',
  TWILIO_ACCOUNT_SID: `AC${'fedcba9876543210'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'generated-auth-token-LEAK-2',
  WHATSAPP_VERIFY_TOKEN: 'generated-verify-token-LEAK-3',
  WHATSAPP_APP_SECRET: 'generated-app-secret-LEAK-4',
};

const PRODUCTION: Env = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://onboard.example.com',
  DATABASE_URL: 'postgres://wa:pg-LEAK@db.internal:5432/wa',
  ADMIN_TOKEN: 'admin-token-LEAK-0123456789',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'auth-token-LEAK-0123456789',
  TWILIO_PHONE_NUMBER: '+14155550123',
  NOTIFY_SMS_TO: '+14155550199',
  WHATSAPP_VERIFY_TOKEN: 'verify-token-LEAK',
  WHATSAPP_APP_SECRET: 'app-secret-LEAK-0123456789',
};

function summary(env: Env, facts: Partial<StartFacts> = {}): string {
  const { config, missingForProduction } = loadConfig(env, () => GENERATED);
  return renderStartSummary(config, { version: '1.2.3', localUrl: 'http://127.0.0.1:3000', missingForProduction, ...facts });
}

describe('the start summary', () => {
  it('in production: the public page and URLs, the token as set, the database without its password, nothing missing', () => {
    const text = summary(PRODUCTION, { localUrl: 'http://127.0.0.1:8080' });

    expect(text).toBe(
      [
        'wa-onboard 1.2.3, production',
        '',
        '  Operator page  https://onboard.example.com/',
        '  Admin token    ADMIN_TOKEN, as set',
        '  Twilio         https://onboard.example.com/twilio/voice',
        `                 the number's "A call comes in" webhook, HTTP POST (or: npx wa-onboard twilio connect)`,
        '  Meta           https://onboard.example.com/webhooks/whatsapp',
        '                 the callback URL, with the verify token WHATSAPP_VERIFY_TOKEN',
        '  Data           PostgreSQL at postgres://wa:***@db.internal:5432/wa',
        '',
        '  Production: every required setting is in place.',
        '',
      ].join('\n'),
    );
    expect(text).not.toMatch(/LEAK/);
  });

  it('in local mode: where the generated token is and how to print it, the outbox, what production lacks; no secret', () => {
    const text = summary({ DATA_DIR: '/srv/wa' }, { secretsFile: '/srv/wa/local-secrets.json', outboxDir: '/srv/wa/outbox' });

    expect(text).toContain('  Admin token    generated into /srv/wa/local-secrets.json\n');
    expect(text).toContain(`print it: node -p 'require("/srv/wa/local-secrets.json").ADMIN_TOKEN'`);
    expect(text).toContain('with the verify token WHATSAPP_VERIFY_TOKEN (generated into the same file)');
    expect(text).toContain('  Outbox         /srv/wa/outbox (emails and SMS with no transport)\n');
    expect(text).toContain('Missing for production: PUBLIC_URL, ADMIN_TOKEN,');
    expect(text).not.toMatch(/LEAK/);
  });

  it('gives no command to print the token when the path would break its quoting', () => {
    expect(summary({}, { secretsFile: "/home/o'neil/data/local-secrets.json" })).not.toContain('print it');
  });

  it('says when signature checks are off', () => {
    expect(summary({ TWILIO_SIGNATURE_CHECK: 'off' }, { secretsFile: '/d/local-secrets.json' }).replace(/\s+/g, ' ')).toContain(
      'Signature checks are off (TWILIO_SIGNATURE_CHECK): anyone who can reach the service can post to it.',
    );
  });

  it('says local mode lacks nothing but NODE_ENV when every setting is in place', () => {
    const text = summary({ ...PRODUCTION, NODE_ENV: '' });
    expect(text).toContain('wa-onboard 1.2.3, local mode');
    expect(text).toContain('For production: every setting is in place; set NODE_ENV=production.');
  });
});
