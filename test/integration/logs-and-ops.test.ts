import { Writable } from 'node:stream';
import { simulateTwilioCall } from '../../src/embedded/simulated-twilio-call';
import { createLogger } from '../../src/observability/logger';
import { METRICS_FORBIDDEN } from '../../src/http/metrics-access';
import { ACCOUNT, ADMIN_TOKEN, callParams, META_CALLER, OUR_NUMBER, PUBLIC_URL, startHarness, type Harness } from '../helpers/harness';
import { serveOnOtherAddress } from '../helpers/other-address';

describe('what the logs never hold', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('a whole call, a failed delivery and a refused request log no code, token or signature', async () => {
    h = await startHarness();
    h.twilioApi.script([{ status: 500, code: 20500 }]);
    await simulateTwilioCall({
      serviceUrl: h.url,
      publicUrl: PUBLIC_URL,
      ...ACCOUNT,
      from: META_CALLER,
      to: OUR_NUMBER,
      speech: 'your code is 8 6 4 2 0 9',
    });
    await h.twilioPost('/twilio/transcription', callParams('CAother', { TranscriptionText: 'eight six four two zero nine' }));
    await h.twilioApi.waitForMessages(2);
    await h.smtp.waitFor(2);
    await fetch(`${h.url}/twilio/voice`, { method: 'POST', headers: { 'x-twilio-signature': 'forged' } });
    await fetch(`${h.url}/api/codes`, { headers: { authorization: 'Bearer wrong-token' } });
    await h.service.worker.idle();

    const logs = h.logs.join('');
    expect(h.logs.length).toBeGreaterThan(10);
    expect(logs).toContain('code captured');
    const said = ['your code is 8 6 4 2 0 9', '8 6 4 2 0 9', 'eight six four'];
    for (const secret of ['864209', ...said, ACCOUNT.authToken, ADMIN_TOKEN, 'forged', 'wrong-token']) {
      expect(logs).not.toContain(secret);
    }
  });

  it('censors code, token and signature fields wherever a handler logs them', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    logger.info(
      {
        code: '123456',
        Digits: '123456',
        SpeechResult: 'one two three',
        TranscriptionText: 'four five six',
        headers: { authorization: 'Bearer s3cret', 'x-twilio-signature': 'sig', 'x-hub-signature-256': 'sha256=ab' },
        twilio: { authToken: 'tok' },
      },
      'request',
    );
    const line = lines.join('');
    for (const secret of ['123456', 'one two three', 'four five six', 's3cret', '"sig"', 'sha256=ab', '"tok"']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
  });
});

describe('health, readiness, metrics and the codes API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('refuses /api/codes without the admin token, or with another one', async () => {
    expect((await fetch(`${h.url}/api/codes`)).status).toBe(401);
    const wrong = await fetch(`${h.url}/api/codes`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'unauthorized', message: 'send Authorization: Bearer <ADMIN_TOKEN>' });
  });

  it('lists codes newest first with their deliveries', async () => {
    for (const [sid, spoken] of [['CAfirst', '1 1 1 2 2 2'], ['CAsecond', '3 3 3 4 4 4']] as const) {
      await h.twilioPost('/twilio/voice', callParams(sid));
      await h.twilioPost('/twilio/gather?listen=1', callParams(sid, { SpeechResult: spoken }));
    }
    await h.smtp.waitFor(2);
    await h.twilioApi.waitForMessages(2);
    await h.service.worker.idle();
    const codes = await h.codes();
    expect(codes.map((c) => c.code)).toEqual(['333444', '111222']);
    expect(codes[0]).toMatchObject({
      source: 'speech',
      callSid: 'CAsecond',
      from: META_CALLER,
      to: OUR_NUMBER,
      deliveries: [
        { channel: 'email', to: 'team@example.com', status: 'sent', attempts: 1, error: null },
        { channel: 'sms', to: '+15005550001', status: 'sent', attempts: 1, error: null },
      ],
    });
    expect(Date.parse((codes[0] as unknown as { receivedAt: string }).receivedAt)).not.toBeNaN();
  });

  it('rejects a nonsense limit on /api/codes', async () => {
    const res = await fetch(`${h.url}/api/codes?limit=0`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(400);
  });

  it('answers 404 as JSON for an unknown route', async () => {
    const res = await fetch(`${h.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found', message: 'no such route' });
  });
});

describe('/metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('counts calls, codes by source and deliveries by outcome; a refused request counts for nothing', async () => {
    await fetch(`${h.url}/twilio/voice`, { method: 'POST', body: new URLSearchParams(callParams('CAforged')) });
    await h.twilioPost('/twilio/voice', callParams('CAmetrics'));
    await h.twilioPost('/twilio/gather?listen=1', callParams('CAmetrics', { Digits: '654321' }));
    await h.smtp.waitFor(1);
    await h.twilioApi.waitForMessages(1);
    await h.service.worker.idle();
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/^wa_onboard_calls_answered_total 1$/m);
    expect(text).toMatch(/^wa_onboard_codes_captured_total\{source="dtmf"\} 1$/m);
    expect(text).toMatch(/^wa_onboard_deliveries_total\{channel="email",outcome="sent"\} 1$/m);
    expect(text).toMatch(/^wa_onboard_deliveries_total\{channel="sms",outcome="sent"\} 1$/m);
  });
});

describe('who may read /metrics', () => {
  const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
  let h: Harness;
  let other: Awaited<ReturnType<typeof serveOnOtherAddress>> | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await h.close();
  });

  /** The service as another machine reaches it: from an address that is not loopback. */
  const fromElsewhere = async () => {
    other = await serveOnOtherAddress(h.service.listener);
    return other.url;
  };
  const scrape = (base: string, headers: Record<string, string> = {}) => fetch(`${base}/metrics`, { headers });

  it('answers only loopback in production without METRICS_TOKEN, whatever X-Forwarded-For says, and says what to set', async () => {
    h = await startHarness();
    expect((await scrape(h.url)).status).toBe(200);
    const refused = await scrape(await fromElsewhere(), { 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: 'forbidden', message: METRICS_FORBIDDEN });
    expect(METRICS_FORBIDDEN).toMatch(/METRICS_TOKEN.*METRICS_PUBLIC=on/);
  });

  it('answers anyone with METRICS_PUBLIC=on', async () => {
    h = await startHarness({ env: { METRICS_PUBLIC: 'on' } });
    const res = await scrape(await fromElsewhere());
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('wa_onboard_calls_answered_total');
  });

  it('answers a local-mode service from anywhere it listens: local mode is for one machine', async () => {
    h = await startHarness({ env: { NODE_ENV: 'development' } });
    expect((await scrape(await fromElsewhere())).status).toBe(200);
  });

  it('needs Authorization: Bearer <METRICS_TOKEN> when it is set, from loopback too', async () => {
    h = await startHarness({ env: { METRICS_TOKEN } });
    const wrong: Array<Record<string, string>> = [{}, { authorization: `Bearer ${METRICS_TOKEN}x` }, { authorization: `Bearer ${ADMIN_TOKEN}` }, { authorization: METRICS_TOKEN }];
    for (const headers of wrong) {
      const refused = await scrape(h.url, headers);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await refused.json()).toEqual({ error: 'unauthorized', message: 'send Authorization: Bearer <METRICS_TOKEN>' });
    }
    const res = await scrape(h.url, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('answers another machine that sends METRICS_TOKEN', async () => {
    h = await startHarness({ env: { METRICS_TOKEN } });
    const elsewhere = await fromElsewhere();
    expect((await scrape(elsewhere)).status).toBe(401);
    expect((await scrape(elsewhere, { authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(200);
  });

  it('keeps /healthz and /readyz open to anyone, for load balancers', async () => {
    h = await startHarness({ env: { METRICS_TOKEN } });
    const elsewhere = await fromElsewhere();
    expect((await fetch(`${elsewhere}/healthz`)).status).toBe(200);
    expect((await fetch(`${elsewhere}/readyz`)).status).toBe(200);
  });
});
