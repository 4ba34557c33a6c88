import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { simulateTwilioCall } from '../../src/embedded/simulated-twilio-call';
import { readOrCreateLocalSecrets } from '../../src/local-secrets';
import { createService, type Service } from '../../src/service';
import { eventually } from '../helpers/harness';

describe('local mode (no NODE_ENV=production, no accounts)', () => {
  let dataDir: string;
  let service: Service | undefined;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-local-'));
  });
  afterEach(async () => {
    await service?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes a call with generated secrets and writes the email and SMS to the outbox', async () => {
    const { config, notices } = loadConfig(
      { DATA_DIR: dataDir, PORT: '0', NOTIFY_EMAIL_TO: 'me@example.com', NOTIFY_SMS_TO: '+15005550001' },
      (dir) => readOrCreateLocalSecrets(dir).secrets,
    );
    expect(notices).toEqual(expect.arrayContaining([expect.stringMatching(/SMTP_URL is not set/), expect.stringMatching(/SMS go to the outbox/)]));
    service = await createService(config, { logger: pino({ level: 'silent' }), pollMs: 50 });
    const { url } = await service.listen(0, '127.0.0.1');

    // The secrets are in the file, not in the environment: sign with what local mode generated.
    const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'local-secrets.json'), 'utf8')) as Record<string, string>;
    await simulateTwilioCall({
      serviceUrl: url,
      publicUrl: config.publicUrl,
      accountSid: secrets.TWILIO_ACCOUNT_SID as string,
      authToken: secrets.TWILIO_AUTH_TOKEN as string,
      from: '+16505550100',
      to: config.twilio.phoneNumber,
      speech: 'your code is 2 7 1 8 2 8',
    });

    const outbox = path.join(dataDir, 'outbox');
    const files = await eventually(() => {
      const names = fs.existsSync(outbox) ? fs.readdirSync(outbox).filter((n) => n.endsWith('.json')) : [];
      return names.length === 2 ? names.sort() : undefined;
    });
    const messages = files.map((f) => JSON.parse(fs.readFileSync(path.join(outbox, f), 'utf8')) as Record<string, string>);
    const email = messages.find((m) => m.channel === 'email');
    const sms = messages.find((m) => m.channel === 'sms');
    expect(email?.to).toBe('me@example.com');
    expect(email?.subject).toContain('271828');
    expect(sms?.to).toBe('+15005550001');
    expect(sms?.body).toContain('271828');
  });
});
