import { startEventReceiver, type EventReceiver } from '../../src/embedded/event-receiver';
import { targetName } from '../../src/whatsapp/target-name';
import { ADMIN_TOKEN, callParams, eventually, startHarness, type Harness } from '../helpers/harness';
import { messageId, textBatch } from '../helpers/meta-payloads';

/**
 * The operator page over HTTP, as a browser without JavaScript (or a script) meets it: sign-in,
 * the session cookie, the checklist rendered on the server, the event stream, the headers.
 * test/integration/operator-page-browser.test.ts drives the same page in Chromium.
 */

const SESSION = '__Host-wa_onboard_session'; // PUBLIC_URL is https in the harness

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h.close();
});

function signIn(token: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
    redirect: 'manual',
  });
}

/** Signs in and returns the Cookie header the browser would send back. */
async function session(): Promise<string> {
  const res = await signIn(ADMIN_TOKEN);
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] as string;
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(h.url + path, { headers, redirect: 'manual' });

async function captureCode(callSid: string, speech: string): Promise<void> {
  await h.twilioPost('/twilio/voice', callParams(callSid, { CallStatus: 'ringing' }));
  const res = await h.twilioPost('/twilio/gather?listen=1', callParams(callSid, { SpeechResult: speech, Confidence: '0.9' }));
  expect(res.status).toBe(200);
}

describe('signing in', () => {
  it('shows a visitor without a session the sign-in form, and no checklist', async () => {
    const res = await get('/');
    const page = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page).toContain('<label for="token">Admin token</label>');
    expect(page).toContain('action="login"');
    expect(page).not.toContain('id="checklist"');
    // Production: the page does not point at the local secrets file.
    expect(page).not.toContain('local-secrets.json');
  });

  it('refuses a wrong token with the form again and an alert, and opens no session', async () => {
    const res = await signIn('not-the-admin-token-at-all');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    const page = await res.text();
    expect(page).toContain('role="alert"');
    expect(page).toContain('That is not the admin token.');
    expect(page).toContain('aria-invalid="true"');
  });

  it('refuses an empty token', async () => {
    const res = await signIn('');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('opens a session with the admin token: an HttpOnly, SameSite=Strict, Secure __Host- cookie, then back to the page', async () => {
    const res = await signIn(ADMIN_TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('./');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION}=[A-Za-z0-9_-]{43};`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Domain');
  });

  it('shows the checklist to a signed-in browser', async () => {
    const page = await (await get('/', { cookie: await session() })).text();
    expect(page).toContain('<main id="checklist">');
    expect(page).toContain('+15005550006');
    for (const title of ['Configuration', 'Verification call', 'Code', 'Webhook', 'Events', 'Forwarding', 'Failures']) {
      expect(page).toContain(`> ${title}</h2>`);
    }
  });

  it('refuses a sign-in form posted from another site', async () => {
    const res = await signIn(ADMIN_TOKEN, { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a sign-in form from another origin sent by a browser without Sec-Fetch-Site', async () => {
    const res = await signIn(ADMIN_TOKEN, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it("accepts a sign-in form whose Origin is the service's, as PUBLIC_URL names it or as the browser reached it", async () => {
    expect((await signIn(ADMIN_TOKEN, { origin: 'https://onboard.example.com' })).status).toBe(303);
    expect((await signIn(ADMIN_TOKEN, { origin: h.url })).status).toBe(303);
  });

  it('turns away sign-ins queued beyond three from one address, at once', async () => {
    await h.close();
    h = await startHarness({ loginThrottle: { baseDelayMs: 300, maxDelayMs: 300 } });
    const answers = await Promise.all(Array.from({ length: 6 }, () => signIn('wrong-token-wrong-token')));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  });

  it('lets the right token in at once while wrong guesses from the same address wait their turn', async () => {
    await h.close();
    h = await startHarness({ loginThrottle: { baseDelayMs: 1_000, maxDelayMs: 1_000 } });
    const order: string[] = [];
    const wrong = Array.from({ length: 3 }, (_, i) =>
      signIn(`wrong-guess-number-${i}-0123456789`).then((r) => order.push(`wrong ${r.status}`)),
    );
    const right = signIn(ADMIN_TOKEN).then((r) => order.push(`right ${r.status}`));
    await Promise.all([...wrong, right]);
    expect(order[0]).toBe('right 303');
    expect(order.slice(1)).toEqual(['wrong 401', 'wrong 401', 'wrong 401']);
  });

  it('slows wrong bearer tokens on /api/* like failed sign-ins', async () => {
    await h.close();
    h = await startHarness({ loginThrottle: { baseDelayMs: 300, maxDelayMs: 300 } });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => get('/api/codes', { authorization: 'Bearer a-wrong-bearer-token-0123' })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([401, 401, 401, 429, 429, 429]);
    // No credentials at all is not a guess: answered at once.
    expect((await get('/api/codes')).status).toBe(401);
  });

  it('never logs the token tried, the session cookie or the code', async () => {
    await signIn('a-wrong-guess-0123456789');
    const cookie = await session();
    await captureCode('CA' + 'a'.repeat(32), 'one two three four five six');
    await get('/', { cookie });
    const logs = h.logs.join('');
    expect(logs).toContain('refused a sign-in');
    expect(logs).not.toContain('a-wrong-guess-0123456789');
    expect(logs).not.toContain(ADMIN_TOKEN);
    expect(logs).not.toContain(cookie.split('=')[1] as string);
    expect(logs).not.toContain('123456');
  });
});

describe('the session', () => {
  it('lets /api/* in with the session cookie, and still with the bearer token', async () => {
    const cookie = await session();
    expect((await get('/api/codes', { cookie })).status).toBe(200);
    expect((await get('/api/codes', { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
    expect((await get('/api/codes')).status).toBe(401);
    expect((await get('/api/codes', { cookie: `${SESSION}=made-up-session-value` })).status).toBe(401);
  });

  it('refuses a wrong bearer token even alongside a valid session', async () => {
    const cookie = await session();
    expect((await get('/api/codes', { cookie, authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
  });

  it('ends with sign-out: the cookie is cleared and no longer opens anything', async () => {
    const cookie = await session();
    const res = await fetch(`${h.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION}=; .*Max-Age=0`));
    expect((await get('/api/codes', { cookie })).status).toBe(401);
    expect(await (await get('/', { cookie })).text()).toContain('action="login"');
  });

  it('survives a restart of the service', async () => {
    const cookie = await session();
    await h.stopService();
    await h.restartService();
    expect((await get('/api/codes', { cookie })).status).toBe(200);
  });
});

describe('the page', () => {
  it('shows a captured code with its source and deliveries, without JavaScript', async () => {
    await captureCode('CA' + 'b'.repeat(32), 'your code is 4 8 1 5 1 6');
    await eventually(async () => ((await h.codes())[0]?.deliveries.every((d) => d.status === 'sent') ? true : undefined));
    const page = await (await get('/', { cookie: await session() })).text();
    expect(page).toContain('<p class="code-value" id="latest-code" aria-labelledby="latest-code-label">481516</p>');
    expect(page).toContain('Heard by speech. 2 of 2 deliveries sent.');
    expect(page).toMatch(/Email<\/span> to team@example\.com: <strong>sent<\/strong>/);
    expect(page).toMatch(/SMS<\/span> to \+15005550001: <strong>sent<\/strong>/);
  });

  it('answers with headers that forbid framing, inline script and caching', async () => {
    const res = await get('/', { cookie: await session() });
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const page = await res.text();
    // Every script is a file of ours; no attribute runs code.
    expect(page.match(/<script[^>]*>/g)).toEqual(['<script src="assets/operator-page.js" defer>']);
    expect(page).not.toMatch(/\son[a-z]+=/i);
    expect(page).not.toMatch(/style=/i);
  });

  it('serves its stylesheet, script and icon with their types', async () => {
    expect((await get('/assets/operator-page.css')).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await get('/assets/operator-page.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await get('/assets/favicon.svg')).headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect((await get('/assets/nothing.js')).status).toBe(404);
  });
});

describe('live updates', () => {
  it('refuses the event stream without a session', async () => {
    expect((await get('/api/live')).status).toBe(401);
  });

  it('sends the checklist when the page connects, then the code once it is heard', async () => {
    const controller = new AbortController();
    const res = await fetch(`${h.url}/api/live`, { headers: { cookie: await session() }, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(received)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        received += decoder.decode(value, { stream: true });
      }
    };
    await until(/event: item\n(data: .*\n)+\n/);
    expect(received).toContain('No code heard yet.');

    await captureCode('CA' + 'c'.repeat(32), 'nine eight seven six five four');
    await until(/id="latest-code"[^>]*>987654</);
    controller.abort();
  });

  it('ends the open event stream of a session when it signs out', async () => {
    const cookie = await session();
    const res = await fetch(`${h.url}/api/live`, { headers: { cookie } });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await fetch(`${h.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });

  it('lets the service stop while a page is connected', async () => {
    const res = await fetch(`${h.url}/api/live`, { headers: { cookie: await session() } });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await h.stopService();
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});

describe('the Replay button', () => {
  let receiver: EventReceiver;
  afterEach(() => receiver.close());

  /** The service forwarding to a receiver that refused two events: two dead letters. */
  async function withDeadLetters(): Promise<void> {
    receiver = await startEventReceiver();
    receiver.failWith(422);
    await h.stopService();
    await h.restartService({ env: { FORWARD_URL: receiver.url, FORWARD_SECRET: 'forward-secret-for-tests-0123' } });
    expect((await h.metaPost(textBatch(2))).status).toBe(200);
    await eventually(async () => ((await deadLetterCount()) === 2 ? true : undefined));
  }

  async function deadLetterCount(): Promise<number> {
    const res = await fetch(`${h.url}/api/dead-letters`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await res.json()) as { deadLetters: unknown[] }).deadLetters.length;
  }

  const replay = (headers: Record<string, string>, target = targetName(receiver.url)) =>
    fetch(`${h.url}/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ target }).toString(),
      redirect: 'manual',
    });

  it("shows the target's dead letters on the page, with a Replay form", async () => {
    await withDeadLetters();
    const page = await (await get('/', { cookie: await session() })).text();

    expect(page).toContain('<dt>Dead letters</dt><dd>2 rejected</dd>');
    expect(page).toContain(`<input type="hidden" name="target" value="${targetName(receiver.url)}">`);
    expect(page).toContain('Replay 2 dead letters</button>');
  });

  it('queues them again for a form posted from the page with the session, and goes back to the page', async () => {
    await withDeadLetters();
    receiver.recover();
    const res = await replay({ cookie: await session(), 'sec-fetch-site': 'same-origin', origin: h.config.publicUrl });

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('./');
    expect((await receiver.waitForEvents(2)).map((e) => e.idempotencyKey)).toEqual([0, 1].map((n) => `message:${messageId(n)}`));
    expect(await deadLetterCount()).toBe(0);
  });

  it("answers the page's script with the count queued, as JSON", async () => {
    await withDeadLetters();
    const res = await replay({ cookie: await session(), 'sec-fetch-site': 'same-origin', accept: 'application/json' });

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ queued: 2 });
  });

  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ["another site's Origin (a browser without Sec-Fetch-Site)", { origin: 'https://evil.example.com' }],
  ])('refuses a Replay posted from another site (%s) with 403, and queues nothing', async (_how, headers) => {
    await withDeadLetters();
    const res = await replay({ cookie: await session(), ...headers });

    expect(res.status).toBe(403);
    expect(await deadLetterCount()).toBe(2);
    expect(receiver.attempts).toBe(2);
  });

  it('refuses a Replay without a session (401), and queues nothing', async () => {
    await withDeadLetters();
    const res = await replay({ 'sec-fetch-site': 'same-origin' });

    expect(res.status).toBe(401);
    expect(await deadLetterCount()).toBe(2);
  });

  it('refuses a target that is not configured (400), naming the configured one', async () => {
    await withDeadLetters();
    const res = await replay({ cookie: await session(), accept: 'application/json' }, 'https://elsewhere.example.com/hook');

    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(`the configured targets are "${targetName(receiver.url)}"`);
    expect(await deadLetterCount()).toBe(2);
  });
});
