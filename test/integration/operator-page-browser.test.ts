import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { onFreePort } from '../../src/embedded/free-port';
import { samplePayload } from '../../src/embedded/sample-webhook-events';
import { checkSubscription, SAMPLE_PHONE_NUMBER_ID, SAMPLE_WABA_ID } from '../../src/embedded/simulated-meta-webhook';
import { simulateTwilioCall } from '../../src/embedded/simulated-twilio-call';
import { startEventReceiver, type EventReceiver } from '../../src/embedded/event-receiver';
import { browserRequired, chromiumPath, launchChromium } from '../helpers/browser';
import { ACCOUNT, ADMIN_TOKEN, META, META_CALLER, OUR_NUMBER, eventually, startHarness, type Harness } from '../helpers/harness';
import { messageId, textBatch } from '../helpers/meta-payloads';

// page.evaluate takes its scripts as strings here: the project is compiled without the DOM's types.

/**
 * The operator page in a real browser (Debian's Chromium, headless, off the network) against the
 * service on loopback. The service's PUBLIC_URL is its loopback address, as the browser sees it.
 */

const PHONE = { width: 375, height: 812 };
/**
 * `npm run screenshots` writes the README's pictures of the page to docs/; otherwise they go to a
 * temporary folder, so a test run leaves the working tree as it was.
 */
const SCREENSHOTS =
  process.env.WA_ONBOARD_SCREENSHOTS === 'docs' ? path.join(__dirname, '..', '..', 'docs') : fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-shots-'));

// A browser and a service per test, on a machine shared with other suites.
jest.setTimeout(60_000);

const haveBrowser = chromiumPath() !== null;
if (!haveBrowser && browserRequired) throw new Error('WA_ONBOARD_REQUIRE_BROWSER=1 but Chromium is not installed');
if (!haveBrowser) process.stderr.write('operator page browser tests skipped: install Chromium (apt-get install chromium)\n');
const describeInBrowser = haveBrowser ? describe : describe.skip;

describeInBrowser('the operator page in Chromium', () => {
  let browser: Browser;
  let h: Harness;
  let context: BrowserContext;
  let publicUrl: string;
  /** Everything the page's console said, and each URL it asked for. */
  let consoleMessages: string[];
  let requested: string[];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    h = await onFreePort((port) => startHarness({ port, env: { PUBLIC_URL: `http://127.0.0.1:${port}` } }));
    publicUrl = h.config.publicUrl;
    consoleMessages = [];
    requested = [];
  });

  afterEach(async () => {
    await context?.close();
    await h.close();
  });

  async function open(options: { javaScript?: boolean; width?: number } = {}): Promise<Page> {
    context = await browser.newContext({
      viewport: { ...PHONE, width: options.width ?? PHONE.width },
      javaScriptEnabled: options.javaScript ?? true,
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: publicUrl });
    const page = await context.newPage();
    page.on('console', (m) => consoleMessages.push(m.text()));
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${publicUrl}/`);
    return page;
  }

  async function signIn(page: Page, token = ADMIN_TOKEN): Promise<void> {
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
  }

  /** Meta's robot, through Twilio: the signed requests of a call that speaks `code`. */
  async function verificationCall(code: string): Promise<void> {
    await simulateTwilioCall({
      serviceUrl: h.url,
      publicUrl,
      ...ACCOUNT,
      from: META_CALLER,
      to: OUR_NUMBER,
      speech: `Your WhatsApp verification code is ${[...code].join(' ')}.`,
    });
  }

  it('asks a visitor for the admin token, with a labelled field', async () => {
    const page = await open();
    await expect(page.getByRole('heading', { name: 'wa-onboard' }).isVisible()).resolves.toBe(true);
    expect(await page.getByLabel('Admin token').getAttribute('type')).toBe('password');
    expect(await page.locator('#checklist').count()).toBe(0);
  });

  it('refuses a wrong token and keeps the visitor out', async () => {
    const page = await open();
    await signIn(page, 'this-is-not-the-admin-token');
    await expect(page.getByRole('alert').textContent()).resolves.toBe('That is not the admin token.');
    expect(await page.locator('#checklist').count()).toBe(0);
    expect(await context.cookies()).toEqual([]);
  });

  it('shows a code heard on a call without a reload, and copies it to the clipboard', async () => {
    const page = await open();
    await signIn(page);
    expect(await page.getByRole('listitem', { name: 'Code' }).textContent()).toContain('No code heard yet.');
    await page.waitForSelector('#live-status[data-live="live"]');
    // A reload would lose this mark: it proves the code came over the live stream.
    await page.evaluate('window.stillTheSamePage = true');

    await verificationCall('314159');

    const code = page.locator('#latest-code');
    await code.waitFor({ timeout: 5_000 });
    expect(await code.textContent()).toBe('314159');
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
    await expect(page.getByRole('status').textContent()).resolves.toContain('Live');
    await expect(page.locator('#announcer').textContent()).resolves.toBe('New code heard: 3 1 4 1 5 9');

    await page.getByRole('button', { name: 'Copy code' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe('314159');
  });

  it('keeps saying Copied when a live update brings a new button a moment after the press', async () => {
    const page = await open();
    await signIn(page);
    await page.waitForSelector('#live-status[data-live="live"]');
    await verificationCall('314159');
    const codeItem = page.getByRole('listitem', { name: 'Code' });
    await page.locator('#item-code li[data-status="sent"] >> nth=1').waitFor({ timeout: 10_000 });

    await page.getByRole('button', { name: 'Copy code' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    // A second call, heard without a code: its start re-renders the code item, and the button in it.
    await page.evaluate('window.pressedButton = document.querySelector("button[data-copy]")');
    await simulateTwilioCall({ serviceUrl: h.url, publicUrl, ...ACCOUNT, from: META_CALLER, to: OUR_NUMBER, speech: 'hello?' });
    await page.getByText('Previous code').waitFor({ timeout: 5_000 });

    expect(await page.evaluate('document.querySelector("button[data-copy]") !== window.pressedButton')).toBe(true);
    expect(await codeItem.getByRole('button').textContent()).toBe('Copied');
    await codeItem.getByRole('button', { name: 'Copy code' }).waitFor({ timeout: 5_000 });
  });

  it('fits a phone screen and saves its picture for the README', async () => {
    const page = await open();
    await signIn(page);
    await verificationCall('271828');
    await page.locator('#latest-code').waitFor({ timeout: 5_000 });
    // Deliveries settle in the background; the picture shows them sent.
    await eventually(async () => ((await h.codes())[0]?.deliveries.every((d) => d.status === 'sent') ? true : undefined));
    await page.getByText('2 of 2 deliveries sent').waitFor({ timeout: 5_000 });
    // Then the webhook comes alive: Meta's check, a message, and a failed delivery it explains.
    expect((await checkSubscription(h.url, META.verifyToken)).echoed).toBe(true);
    const origin = { wabaId: SAMPLE_WABA_ID, phoneNumberId: SAMPLE_PHONE_NUMBER_ID, displayPhoneNumber: OUR_NUMBER.slice(1), at: new Date() };
    for (const sample of ['text', 'status-delivered', 'status-failed'] as const) {
      expect((await h.metaPost(samplePayload(sample, origin))).status).toBe(200);
    }
    await page.getByRole('listitem', { name: 'Failures' }).getByText('Needs attention').waitFor({ timeout: 5_000 });

    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'operator-page-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'operator-page-wide.png'), fullPage: true });
  });

  it('keeps focus where it is while other items update', async () => {
    const page = await open();
    await signIn(page);
    await page.waitForSelector('#live-status[data-live="live"]');
    await page.locator('#settings-details summary').focus();
    expect((await checkSubscription(h.url, META.verifyToken)).echoed).toBe(true);
    await page.getByRole('listitem', { name: 'Webhook' }).getByText('Meta verified the callback URL.').waitFor({ timeout: 5_000 });
    expect(await page.evaluate("document.activeElement && document.activeElement.tagName")).toBe('SUMMARY');
  });

  it('reconnects after the service restarts and goes on showing codes', async () => {
    const page = await open();
    await signIn(page);
    await page.waitForSelector('#live-status[data-live="live"]');
    await h.stopService();
    await page.waitForSelector('#live-status[data-live="connecting"]');
    await h.restartService();
    await page.waitForSelector('#live-status[data-live="live"]', { timeout: 15_000 });
    await verificationCall('577215');
    await page.locator('#latest-code', { hasText: '577215' }).waitFor({ timeout: 5_000 });
  });

  it('works with JavaScript off: sign-in by form, the code on reload, no copy button', async () => {
    await verificationCall('161803');
    const page = await open({ javaScript: false });
    await signIn(page);
    expect(await page.locator('#latest-code').textContent()).toBe('161803');
    expect(await page.getByRole('button', { name: 'Copy code' }).count()).toBe(0);
    expect(await page.getByRole('status').textContent()).toBe('Reload to see changes.');
  });

  describe('dead letters', () => {
    let receiver: EventReceiver;
    afterEach(() => receiver.close());

    /** The service restarted to forward to a receiver that refuses everything. */
    async function forwardToRefusingReceiver(): Promise<void> {
      receiver = await startEventReceiver();
      receiver.failWith(422);
      await h.stopService();
      await h.restartService({ env: { FORWARD_URL: receiver.url, FORWARD_SECRET: 'forward-secret-for-tests-0123' } });
    }

    const forwardingState = (page: Page) => page.locator('#item-forwarding').getAttribute('data-state');

    it('shows the dead letters a receiver made, and the Replay button delivers them, the list emptying without a reload', async () => {
      await forwardToRefusingReceiver();
      const page = await open();
      await signIn(page);
      await page.waitForSelector('#live-status[data-live="live"]');
      await page.evaluate('window.stillTheSamePage = true');

      expect((await h.metaPost(textBatch(3))).status).toBe(200);
      const forwarding = page.getByRole('listitem', { name: 'Forwarding' });
      const replay = forwarding.getByRole('button', { name: 'Replay 3 dead letters' });
      await replay.waitFor({ timeout: 10_000 });
      expect(await forwarding.locator('.dead-letters li').allTextContents()).toEqual(
        [2, 1, 0].map((n) => expect.stringMatching(new RegExp(`^rejected message:${messageId(n).replace('.', '\\.')} .*the target answered HTTP 422$`)) as string),
      );
      expect(await forwardingState(page)).toBe('attention');
      await expect(forwarding.locator('.badge').textContent()).resolves.toBe('Needs attention');

      receiver.recover();
      await replay.click();

      expect((await receiver.waitForEvents(3)).map((e) => e.idempotencyKey)).toEqual([0, 1, 2].map((n) => `message:${messageId(n)}`));
      await page.waitForSelector('#item-forwarding[data-state="done"]', { timeout: 10_000 });
      expect(await forwarding.locator('.dead-letters').count()).toBe(0);
      expect(await forwarding.getByRole('button', { name: /Replay/ }).count()).toBe(0);
      expect(await forwarding.locator('dt:text-is("Dead letters") + dd').textContent()).toBe('none');
      await expect(page.locator('#announcer').textContent()).resolves.toBe('3 dead letters queued again.');
      expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
      expect(receiver.events).toHaveLength(3);
    });

    it('replays with JavaScript off: the form posts, and the page loads again without them', async () => {
      await forwardToRefusingReceiver();
      expect((await h.metaPost(textBatch(2))).status).toBe(200);
      await eventually(async () => ((await h.webhookOverview()).forwarding[0]?.rejected === 2 ? true : undefined));
      const page = await open({ javaScript: false });
      await signIn(page);

      receiver.recover();
      await page.getByRole('button', { name: 'Replay 2 dead letters' }).click();
      await page.waitForLoadState();

      expect(await page.locator('#item-forwarding .dead-letters').count()).toBe(0);
      expect((await receiver.waitForEvents(2)).map((e) => e.idempotencyKey)).toEqual([0, 1].map((n) => `message:${messageId(n)}`));
    });
  });

  it('keeps the browser on its own origin, with no policy violation', async () => {
    const page = await open();
    await signIn(page);
    await page.waitForSelector('#live-status[data-live="live"]');
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(`${publicUrl}/`))).toEqual([]);
    expect(consoleMessages.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });

  it('cannot be framed by another site', async () => {
    // Another origin on loopback (a public page may not frame loopback at all) frames the page.
    const framer = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><iframe src="${publicUrl}/"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    try {
      const page = await open();
      const blocked = page.waitForEvent('console', {
        predicate: (m) => /frame-ancestors|X-Frame-Options/.test(m.text()),
        timeout: 5_000,
      });
      await page.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`);
      await blocked;
      const framed = page.frames()[1];
      const text = await framed?.evaluate("document.body ? document.body.innerText : ''").catch(() => '');
      expect(text ?? '').not.toContain('Admin token');
    } finally {
      await new Promise((resolve) => framer.close(resolve));
    }
  });
});
