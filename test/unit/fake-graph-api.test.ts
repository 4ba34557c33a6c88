import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeGraphApi, type FakeGraphApi, type FakeGraphOptions } from '../helpers/fake-graph-api';

const VERSION = 'v26.0';
const TOKEN = 'system-user-token-for-tests';
const APP = { appId: '1234567890', appSecret: 'app-secret-for-tests' };
const WABA = '2000000000000001';
const PHONE = '3000000000000001';

interface GraphAnswer {
  status: number;
  body: Record<string, unknown> & { error?: { code: number; message: string; error_subcode?: number; error_data?: { details: string } } };
}

describe('the fake Graph API', () => {
  let graph: FakeGraphApi;
  const calls: Array<{ code: string; phoneNumber: string; language: string }> = [];

  const start = async (extra: Partial<FakeGraphOptions> = {}) => {
    graph = await startFakeGraphApi({
      version: VERSION,
      accessToken: TOKEN,
      ...APP,
      wabaId: WABA,
      phoneNumbers: [{ id: PHONE, displayPhoneNumber: '+1 555-010-0199' }],
      onVoiceCall: (call) => {
        calls.push(call);
        return Promise.resolve();
      },
      pollsUntilConnected: 2,
      ...extra,
    });
  };
  const call = async (method: 'GET' | 'POST', path: string, body?: object, token: string | null = TOKEN): Promise<GraphAnswer> => {
    const res = await fetch(`${graph.url}/${VERSION}${path}`, {
      method,
      headers: { ...(token !== null && { authorization: `Bearer ${token}` }), ...(body && { 'content-type': 'application/json' }) },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as GraphAnswer['body'] };
  };

  beforeEach(() => start());
  afterEach(async () => {
    calls.splice(0);
    await graph.close();
  });

  it('walks a number from request_code VOICE to CONNECTED, with the code the robot spoke', async () => {
    expect(await call('POST', `/${PHONE}/request_code`, { code_method: 'VOICE', language: 'en_US' })).toEqual({ status: 200, body: { success: true } });
    await graph.waitForRobot();
    expect(calls).toEqual([{ code: expect.stringMatching(/^\d{6}$/) as string, phoneNumber: '15550100199', language: 'en_US' }]);
    expect(await call('POST', `/${PHONE}/verify_code`, { code: calls[0]?.code })).toEqual({ status: 200, body: { success: true } });
    expect(await call('POST', `/${PHONE}/register`, { messaging_product: 'whatsapp', pin: '123456' })).toEqual({ status: 200, body: { success: true } });
    const statusOf = async () => (await call('GET', `/${PHONE}?fields=status,code_verification_status`)).body;
    expect(await statusOf()).toEqual({ id: PHONE, status: 'PENDING', code_verification_status: 'VERIFIED' });
    expect(await statusOf()).toMatchObject({ status: 'PENDING' });
    expect(await statusOf()).toMatchObject({ status: 'CONNECTED' });
    expect(graph.phoneNumbers[0]).toMatchObject({ pin: '123456', registerCalls: 1 });
    expect(graph.requests.map((r) => `${r.method} ${r.path}`)).toContain(`POST /${PHONE}/register`);
  });

  it('accepts form bodies and access_token in the query, as Graph does', async () => {
    const res = await fetch(`${graph.url}/${VERSION}/${WABA}/phone_numbers?access_token=${TOKEN}`, {
      method: 'POST',
      body: new URLSearchParams({ cc: '1', phone_number: '5550100200', verified_name: 'Acme' }),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(graph.phoneNumbers.find((p) => p.id === id)).toMatchObject({ displayPhoneNumber: '+1 555-010-0200', codeVerificationStatus: 'NOT_VERIFIED' });
    expect(graph.requests[0]).toMatchObject({ token: TOKEN, body: { cc: '1', phone_number: '5550100200' } });
  });

  it("records the robot's failure without failing the request_code answer", async () => {
    await graph.close();
    await start({ onVoiceCall: () => Promise.reject(new Error('call dropped')) });
    expect((await call('POST', `/${PHONE}/request_code`, { code_method: 'VOICE', language: 'en_US' })).status).toBe(200);
    await graph.waitForRobot();
    expect(graph.robotErrors).toEqual([new Error('call dropped')]);
  });

  it('refuses a missing or wrong token with 401 / 190', async () => {
    for (const token of [null, 'wrong-token']) {
      const { status, body } = await call('GET', '/me', undefined, token);
      expect(status).toBe(401);
      expect(body.error).toMatchObject({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    }
  });

  it('refuses a path without the configured version with code 100', async () => {
    const res = await fetch(`${graph.url}/v19.0/me`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 100, message: expect.stringContaining('Unknown path components') as string } });
  });

  it('fails the next matching request as told by failNext, then answers normally', async () => {
    graph.failNext('request_code', { code: 136024, message: 'Verification code request failed', details: 'try later' });
    const failed = await call('POST', `/${PHONE}/request_code`, { code_method: 'SMS', language: 'en_US' });
    expect(failed.status).toBe(400);
    expect(failed.body.error).toMatchObject({ code: 136024, error_data: { messaging_product: 'whatsapp', details: 'try later' } });
    expect(graph.phoneNumbers[0]?.code).toBeNull();
    expect((await call('POST', `/${PHONE}/request_code`, { code_method: 'SMS', language: 'en_US' })).status).toBe(200);
    expect(calls).toEqual([]);
  });

  it('refuses a wrong code with 136025 and leaves the number unverified, so register gives 133010', async () => {
    await call('POST', `/${PHONE}/request_code`, { code_method: 'SMS', language: 'en_US' });
    const wrong = graph.phoneNumbers[0]?.code === '000000' ? '111111' : '000000';
    const { status, body } = await call('POST', `/${PHONE}/verify_code`, { code: wrong });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 136025, error_data: { details: 'Verify code error' } });
    const register = await call('POST', `/${PHONE}/register`, { messaging_product: 'whatsapp', pin: '123456' });
    expect(register.body.error?.code).toBe(133010);
  });

  it('answers 133016 once a number has had more than 10 register calls', async () => {
    await graph.close();
    await start({ phoneNumbers: [{ id: PHONE, displayPhoneNumber: '+1 555-010-0199', codeVerificationStatus: 'VERIFIED' }] });
    for (let i = 0; i < 10; i++) expect((await call('POST', `/${PHONE}/register`, { messaging_product: 'whatsapp', pin: '123456' })).status).toBe(200);
    expect((await call('POST', `/${PHONE}/register`, { messaging_product: 'whatsapp', pin: '123456' })).body.error?.code).toBe(133016);
  });
});

describe("the fake Graph API's callback check", () => {
  let graph: FakeGraphApi;
  let site: http.Server;
  let answer: (query: URLSearchParams) => { status: number; body: string };
  let siteUrl: string;

  beforeEach(async () => {
    graph = await startFakeGraphApi({ version: VERSION, accessToken: TOKEN, ...APP, wabaId: WABA, phoneNumbers: [{ id: PHONE, displayPhoneNumber: '+1 555-010-0199' }] });
    site = http.createServer((req, res) => {
      const { status, body } = answer(new URL(req.url ?? '/', 'http://x').searchParams);
      res.writeHead(status).end(body);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/webhooks/whatsapp`;
  });
  afterEach(async () => {
    await graph.close();
    site.closeAllConnections();
    await new Promise<void>((resolve) => site.close(() => resolve()));
  });

  const subscribe = async (token = `${APP.appId}|${APP.appSecret}`) => {
    const res = await fetch(`${graph.url}/${VERSION}/${APP.appId}/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ object: 'whatsapp_business_account', callback_url: siteUrl, verify_token: 'vt', fields: 'messages' }),
    });
    return { status: res.status, body: (await res.json()) as { success?: boolean; error?: { code: number; message: string } } };
  };

  it('refuses with 2200 when the callback answers 403, and stores nothing', async () => {
    answer = () => ({ status: 403, body: 'no' });
    const { status, body } = await subscribe();
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 2200, message: expect.stringContaining('HTTP Status Code = 403') as string });
    expect(graph.appSubscriptions).toEqual([]);
  });

  it('refuses with 2200 when the callback answers 200 without the challenge', async () => {
    answer = () => ({ status: 200, body: 'ok' });
    expect((await subscribe()).body.error?.code).toBe(2200);
  });

  it('subscribes when the callback echoes the challenge for the right verify token, and needs the app token', async () => {
    answer = (q) =>
      q.get('hub.mode') === 'subscribe' && q.get('hub.verify_token') === 'vt' ? { status: 200, body: q.get('hub.challenge') ?? '' } : { status: 403, body: '' };
    expect((await subscribe(TOKEN)).body.error?.code).toBe(190);
    expect(await subscribe()).toEqual({ status: 200, body: { success: true } });
    expect(graph.appSubscriptions).toEqual([{ object: 'whatsapp_business_account', callback_url: siteUrl, fields: ['messages'], active: true }]);
    const res = await fetch(`${graph.url}/${VERSION}/${PHONE}?fields=webhook_configuration`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await res.json()).toEqual({ id: PHONE, webhook_configuration: { application: siteUrl } });
  });

  it('sets a per-number override only after the check passes', async () => {
    answer = (q) => ({ status: 200, body: q.get('hub.challenge') ?? '' });
    const res = await fetch(`${graph.url}/${VERSION}/${PHONE}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_configuration: { override_callback_uri: siteUrl, verify_token: 'vt' } }),
    });
    expect(await res.json()).toEqual({ success: true });
    expect(graph.phoneNumbers[0]?.webhookOverride).toEqual({ callbackUri: siteUrl, verifyToken: 'vt' });
  });
});
