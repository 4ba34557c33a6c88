// Factories for the operator page's tests: a default snapshot is a fresh production install where
// nothing has happened yet, and the builders below make the pieces to add to it.
import { loadConfig, type Config, type Env, type LocalSecrets } from '../../src/config';
import type { DeadLetterLine, PageSnapshot, TargetDeadLetters } from '../../src/page/page-snapshot';
import { summarizeSettings, type SettingsSummary } from '../../src/page/settings-summary';
import type { CallView, CodeView, DeliveryView } from '../../src/store/call-store';
import type { FailureView, ForwardingView, WebhookOverview } from '../../src/whatsapp/overview';
import { explainError } from '../../src/whatsapp/explain-error';

/** The clock the page is built at in these tests. */
export const NOW = new Date('2026-03-01T12:00:00.000Z');
/** One minute, in milliseconds. */
export const MINUTE = 60_000;
/** One hour, in milliseconds. */
export const HOUR = 60 * MINUTE;
/** The ISO time `ms` before NOW. */
export const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();

/** The number being registered (TWILIO_PHONE_NUMBER). */
export const NUMBER = '+14155550123';
/** Who calls NUMBER in these tests (not the rehearsal caller). */
export const CALLER = '+447700900456';

/** Every variable production needs, valid. */
export const PRODUCTION: Env = {
  NODE_ENV: 'production',
  PORT: '8080',
  PUBLIC_URL: 'https://onboard.example.com/',
  DATA_DIR: '/var/lib/wa-onboard',
  ADMIN_TOKEN: 'admin-token-0123456789',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'a1b2c3d4'.repeat(4),
  TWILIO_PHONE_NUMBER: NUMBER,
  NOTIFY_EMAIL_TO: 'ops@example.com, owner@example.com',
  NOTIFY_SMS_TO: '+14155550199,+447700900123',
  SMTP_URL: 'smtp://user:pass@smtp.example.com:587',
  EMAIL_FROM: 'wa-onboard <onboard@example.com>',
  WHATSAPP_VERIFY_TOKEN: 'verify-token-0123',
  WHATSAPP_APP_SECRET: 'app-secret-0123456789abcdef',
};

/** Values the local-secrets callback hands out; distinctive so a leak is visible. */
export const GENERATED: LocalSecrets = {
  ADMIN_TOKEN: 'generated-admin-token-SECRET-1',
  TWILIO_ACCOUNT_SID: `AC${'fedcba9876543210'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'generated-auth-token-SECRET-2',
  WHATSAPP_VERIFY_TOKEN: 'generated-verify-token-SECRET-3',
  WHATSAPP_APP_SECRET: 'generated-app-secret-SECRET-4',
};

/** `env` with `keys` removed, as if they were never exported. */
export function without(env: Env, ...keys: string[]): Env {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !keys.includes(key)));
}

/** The configuration loaded from `env`, with GENERATED for whatever local mode generates. */
export function configOf(env: Env): Config {
  return loadConfig(env, () => GENERATED).config;
}

/** The settings summary the page shows for `env`, with GENERATED for whatever local mode generates. */
export function settingsOf(env: Env): SettingsSummary {
  return summarizeSettings(configOf(env));
}

/** A webhook overview with nothing received, changed by `counts` and then by `rest`. */
export function overview(counts: Partial<WebhookOverview['counts']> = {}, rest: Partial<Omit<WebhookOverview, 'counts'>> = {}): WebhookOverview {
  return {
    lastVerifiedAt: null,
    lastEventAt: null,
    counts: {
      stored: 0,
      dispatched: 0,
      invalid: 0,
      pending: 0,
      events: 0,
      duplicates: 0,
      byKind: { message: 0, status: 0, error: 0, field: 0 },
      ...counts,
    },
    forwarding: [],
    failures: [],
    rehearsals: { lastVerifiedAt: null, lastEventAt: null, posts: 0, events: 0, duplicates: 0, latest: [] },
    ...rest,
  };
}

/** The page's snapshot of a fresh PRODUCTION install where nothing has happened yet, with `overrides`. */
export function snapshot(overrides: Partial<PageSnapshot> = {}): PageSnapshot {
  return { settings: settingsOf(PRODUCTION), latestCall: null, latestCode: null, webhook: overview(), deadLetters: [], ...overrides };
}

/** A call from CALLER to NUMBER that started a minute ago, with nothing heard, recorded or sent yet. */
export function call(overrides: Partial<CallView> = {}): CallView {
  return {
    callSid: 'CA0123456789abcdef0123456789abcdef',
    from: CALLER,
    to: NUMBER,
    startedAt: ago(MINUTE),
    recordingUrl: null,
    heard: [],
    fallbackAt: null,
    codes: 0,
    rehearsal: false,
    notices: [],
    forwarding: 'forwarded',
    ...overrides,
  };
}

/** An email to ops@example.com, sent a minute ago on the first attempt. */
export function delivery(overrides: Partial<DeliveryView> = {}): DeliveryView {
  return { channel: 'email', to: 'ops@example.com', status: 'sent', attempts: 1, error: null, sentAt: ago(MINUTE), ...overrides };
}

/** The code 482916, heard by keypad two minutes ago and sent to its one recipient. */
export function code(overrides: Partial<CodeView> = {}): CodeView {
  return {
    code: '482916',
    source: 'dtmf',
    callSid: 'CAfedcba9876543210fedcba9876543210',
    from: CALLER,
    to: NUMBER,
    receivedAt: ago(2 * MINUTE),
    rehearsal: false,
    forwarding: 'forwarded',
    deliveries: [delivery()],
    ...overrides,
  };
}

/** A configured forward target with nothing waiting and nothing failed, ten events sent. */
export function target(overrides: Partial<ForwardingView> = {}): ForwardingView {
  return {
    target: 'https://hooks.example.com/whatsapp',
    configured: true,
    backlog: 0,
    oldestPendingAt: null,
    sent: 10,
    rejected: 0,
    expired: 0,
    lastError: null,
    ...overrides,
  };
}

/** An event `target()` refused with HTTP 422 three minutes ago. */
export function deadLetter(overrides: Partial<DeadLetterLine> = {}): DeadLetterLine {
  return {
    eventId: 'message:wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzNzJFQTA4Q0FCMzNFNzFDMDJDNgA=',
    status: 'rejected',
    httpStatus: 422,
    error: 'the target answered HTTP 422',
    givenUpAt: ago(3 * MINUTE),
    ...overrides,
  };
}

/** `target()`'s dead letters: one rejected, the one `deadLetter()` makes. */
export function deadLetters(overrides: Partial<TargetDeadLetters> = {}): TargetDeadLetters {
  return { target: target().target, rejected: 1, expired: 0, latest: [deadLetter()], ...overrides };
}

/** A message status Meta reported as failed five minutes ago, with error 131047 (Re-engagement message). */
export function failure(overrides: Partial<FailureView> = {}): FailureView {
  return {
    eventId: 'status:wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI:failed',
    kind: 'status',
    type: 'failed',
    phoneNumberId: '106540352242922',
    receivedAt: ago(5 * MINUTE),
    errors: [explainError({ code: 131047, title: 'Re-engagement message' })],
    ...overrides,
  };
}
