import type { GraphClient } from './graph-client';
import type { PhoneNumberState } from './phone-numbers';

/** The steps of `wa-onboard meta verify`, in order; `--from` takes one of these names. */
export const STEP_NAMES = [
  'add-number',
  'request-code',
  'wait-for-code',
  'verify-code',
  'register',
  'subscribe-app',
  'set-webhook',
  'wait-connected',
] as const;

export type StepName = (typeof STEP_NAMES)[number];

/** What a step did: `skipped` when Meta already had it done (or it does not apply), with why. */
export interface StepOutcome {
  status: 'done' | 'skipped';
  detail: string;
  /** Shown once and kept out of logs: the PIN generated for `register` (and the file that keeps it). */
  secret?: { label: string; value: string; file?: string };
}

/** A code the service captured, as `GET /api/codes` lists it. */
export interface SeenCode {
  code: string;
  source: string;
  callSid: string;
  from: string;
  to: string;
  receivedAt: string;
  /** Heard on `wa-onboard simulate call`'s rehearsal (absent from an older service): never sent to Meta. */
  rehearsal?: boolean;
}

/** The caller `wa-onboard simulate call` uses: its rehearsal codes are never sent to Meta. */
export const REHEARSAL_CALLER = '+15555550100';

/** Where the code comes from: the running service, which hears Meta's call. */
export interface CodeWatcher {
  /** The codes the service holds now, so that only a newer one is taken for this request. */
  known(): Promise<SeenCode[]>;
}

/** Waits with visible progress; resolves `undefined` when `timeoutMs` passes first. */
export type Waiter = <T>(label: string, timeoutMs: number, check: () => Promise<T | undefined>) => Promise<T | undefined>;

export interface OnboardingSettings {
  /** The Twilio number, E.164. */
  phoneNumber: string;
  wabaId: string | null;
  phoneNumberId: string | null;
  appId: string | null;
  /** With `wabaId`, lets `add-number` put the number on the WABA. */
  verifiedName: string | null;
  /** Meta's form, such as en_US. */
  language: string;
  /** `{PUBLIC_URL}/webhooks/whatsapp`. */
  callbackUrl: string;
  verifyToken: string;
  /** `app`: the app's subscription (needs the app token); `number`: an override on the number. */
  webhook: 'app' | 'number';
  /** The app's webhook serves all its WABAs: it is moved from another URL only when told to. */
  moveAppWebhook: boolean;
  pin: string | null;
  /** A code known by other means (`--code`): no waiting for the call. */
  code: string | null;
  codeTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface OnboardingDeps {
  /** With the system user's token. */
  graph: GraphClient;
  /** With the app token (`APP_ID|APP_SECRET`), for the app's webhook subscription; null without an app id. */
  appGraph: GraphClient | null;
  codes: CodeWatcher;
  wait: Waiter;
  settings: OnboardingSettings;
  /** A random 6-digit PIN; injected so tests can know it. */
  newPin: () => string;
  /**
   * Why Meta's call would not reach the service (the number's voice URL, an overriding voice
   * application); asked before a call is spent. Empty when it would, or when it cannot be checked.
   */
  voiceRouteProblems: () => Promise<string[]>;
  now: () => Date;
}

/** What the steps learn and hand on to the next ones. */
export interface OnboardingState {
  phoneNumberId: string | null;
  /** The codes the service held when the code was requested. */
  codesBefore: SeenCode[] | null;
  code: string | null;
  phone: PhoneNumberState | null;
}

export interface OnboardingStep {
  name: StepName;
  title: string;
  run(state: OnboardingState): Promise<StepOutcome>;
}

/** Thrown by a step that cannot go on for a reason other than a Graph refusal; `fix` says what to do. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}
