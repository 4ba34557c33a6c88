import type { Claim } from './claims';

/** Where a captured code was heard. */
export type CodeSource = 'dtmf' | 'speech' | 'transcription';
export type Channel = 'email' | 'sms';
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'cancelled';
/**
 * A code to forward, the notice that a call ended with no code (recording link, what was heard), or
 * the notice that forwarding paused: more calls came in an hour than CALL_FORWARD_LIMIT allows.
 */
export type DeliveryKind = 'code' | 'missed-call' | 'paused';
/**
 * Whether a call's code and "no code heard" notice go to the recipients: `forwarded`, or held back
 * (stored and shown, never sent): `over-limit` (CALL_FORWARD_LIMIT calls were forwarded in the hour
 * before it), `caller-not-allowed` (its caller is outside CALLERS_ALLOWED). Decided once per call,
 * by its first request (see `admitCall` and voice/forward-budget.ts).
 */
export type Forwarding = 'forwarded' | 'over-limit' | 'caller-not-allowed';

export interface CallInfo {
  callSid: string;
  from: string;
  to: string;
  /**
   * A rehearsal (`wa-onboard simulate call`, marked inside Twilio's signature): its code is made
   * up, and its messages say so. Decided by the call's first request. Absent in a code spooled by
   * an older release: not a rehearsal.
   */
  rehearsal?: boolean;
  /**
   * What `recordCall` and `captureCode` record a call they are first to see with: a code spooled
   * while the database was down carries its call's verdict. Absent: forwarded. `admitCall` decides
   * its own.
   */
  forwarding?: Forwarding;
}

/** What the window before a new call holds, for the budget rule to decide on (see `Admission`). */
export interface AdmissionWindow {
  /** Calls forwarded that started in the window. */
  forwarded: number;
  /** Whether a pause notice was stored in the window. */
  paused: boolean;
}

/** How `admitCall` decides a new call's forwarding: the domain's rule, applied inside the store's transaction. */
export interface Admission {
  /** How far back the window reaches from the call's start. */
  windowMs: number;
  decide(window: AdmissionWindow): { forwarding: Forwarding; pause: boolean };
  /** Who the pause notice goes to. */
  recipients: Recipient[];
}

/** What `admitCall` did. */
export interface AdmittedCall {
  forwarding: Forwarding;
  /** The call was new: this request recorded it and decided its forwarding. */
  created: boolean;
  /** A pause notice was stored with it (one delivery per recipient): wake the delivery worker. */
  pauseNotice: boolean;
}

export interface Recipient {
  channel: Channel;
  to: string;
}

export interface CapturedCode {
  call: CallInfo;
  code: string;
  source: CodeSource;
  receivedAt: Date;
}

/** One delivery due for an attempt, with what its message needs. */
export interface DeliveryJob {
  id: number;
  kind: DeliveryKind;
  channel: Channel;
  recipient: string;
  attempts: number;
  createdAt: Date;
  call: CallInfo & { recordingUrl: string | null; heard: string[] };
  /** Present for `kind: 'code'`. */
  code?: { code: string; source: CodeSource; receivedAt: Date };
}

export interface DeliveryView {
  channel: Channel;
  to: string;
  status: DeliveryStatus;
  attempts: number;
  error: string | null;
  sentAt: string | null;
}

/** The latest call as the operator page shows it. */
export interface CallView {
  callSid: string;
  from: string;
  to: string;
  startedAt: string;
  /** The whole call's recording, or the fallback's, once Twilio reported it. */
  recordingUrl: string | null;
  /** What was heard without a full code, in order. */
  heard: string[];
  /** When the call went on to the transcribed recording, if it did. */
  fallbackAt: string | null;
  /** Codes captured on this call. */
  codes: number;
  /** A rehearsal (`wa-onboard simulate call`), not Meta's call. */
  rehearsal: boolean;
  /** The "no code heard" notice, one delivery per recipient, once scheduled. */
  notices: DeliveryView[];
  /** Whether its code and notice go to the recipients, or why they are held back. */
  forwarding: Forwarding;
}

export interface CodeView {
  code: string;
  source: CodeSource;
  callSid: string;
  from: string;
  to: string;
  receivedAt: string;
  /** Heard on a rehearsal (`wa-onboard simulate call`): made up, never Meta's. */
  rehearsal: boolean;
  /** Whether it was sent to the recipients, or why it was held back (then `deliveries` is empty). */
  forwarding: Forwarding;
  deliveries: DeliveryView[];
}

/** A delivery to store with its code: to whom, and whether it already went out (see `captureCode`). */
export interface PlannedDelivery extends Recipient {
  /** Set when the code was sent before it could be stored (from the spool): recorded as sent, never sent again. */
  sentAt?: Date;
}

/**
 * What the verification call stores: calls, codes, and the deliveries of each code and of the
 * "no code heard" notice. Every write that Twilio's answer depends on happens here, before the
 * answer, so a restart resumes from what was stored.
 *
 * Durability: every write is durable (synced) when it resolves, except where a method says it may
 * skip the sync.
 *
 * Concurrency: any number of instances may call any method at once. Uniqueness rests on
 * constraints (a call by its SID, a code by call and digits, a delivery by its recipient), never on
 * reading first. Deliveries are worked through claims (see `Claim`): `claimDueDeliveries` hands a
 * due delivery to one instance only, until its lease passes.
 */
export interface CallStore {
  /**
   * Records a call the first time it is seen (forwarded unless `call.forwarding` says otherwise);
   * later calls with the same SID change nothing.
   */
  recordCall(call: CallInfo, at: Date): Promise<void>;
  /**
   * Records a call the first time it is seen, its forwarding decided by `admission.decide` from the
   * window before `at`: the calls forwarded that started in it, and whether a pause notice was
   * stored in it. The count, the decision, the call and the pause notice it asks for (one delivery
   * per recipient, due at once) are one transaction, serialised with every other admission, on
   * PostgreSQL across instances: of any number of calls arriving at once on any instances, no more
   * are forwarded than the rule allows, and one pause notice goes out per window. A call already
   * recorded keeps its forwarding, which is returned; nothing changes.
   */
  admitCall(call: CallInfo, at: Date, admission: Admission): Promise<AdmittedCall>;
  /** Keeps what was heard without a full code, for the missed-call notice. */
  addHeard(callSid: string, text: string): Promise<void>;
  /** Keeps a recording link; `replace: false` keeps one already stored. */
  setRecordingUrl(callSid: string, url: string, options: { replace: boolean }): Promise<void>;
  /** Notes that the call went on to the transcribed recording (a transcript will follow). */
  markFallback(callSid: string, at: Date): Promise<void>;
  /** What is known of a call so far. */
  callState(callSid: string): Promise<{ hasCode: boolean; fallback: boolean }>;
  /**
   * Stores a code (recording the call if needed) and one delivery per recipient, in one
   * transaction, and cancels the call's pending missed-call notice. `created` is false, and nothing
   * changes, when the call already had this code: the same code heard twice, or heard by two
   * instances at once, is delivered once. A delivery with `sentAt` is stored as sent.
   */
  captureCode(captured: CapturedCode, deliveries: PlannedDelivery[], now: Date): Promise<{ created: boolean }>;
  /**
   * Schedules the missed-call notice (once per call and recipient) unless the call has a code. A
   * code captured at the same moment on another instance either cancels the notice or keeps it from
   * being scheduled: the two are serialised on the call.
   */
  scheduleMissedCallNotice(callSid: string, recipients: Recipient[], dueAt: Date, now: Date): Promise<boolean>;
  /** Makes a call's scheduled missed-call notice due at `at` (the transcript came back empty). */
  releaseMissedCallNotice(callSid: string, at: Date): Promise<void>;

  /**
   * Claims up to `limit` pending deliveries due at `claim.now` that no live claim holds, oldest
   * first, for `claim.worker` until `claim.until`. May skip the sync: a claim lost to a power cut
   * only frees the work sooner.
   */
  claimDueDeliveries(claim: Claim, limit: number): Promise<DeliveryJob[]>;
  /** Extends the claims `claim.worker` holds on the deliveries `ids` to `claim.until`. May skip the sync. */
  renewDeliveryClaims(ids: number[], claim: Claim): Promise<void>;
  /** Sent: the delivery is done, its claim released. */
  markDeliverySent(id: number, at: Date): Promise<void>;
  /**
   * A transient failure: counted, tried again at `nextAttemptAt`, its claim released. Changes
   * nothing once the delivery is no longer pending (another instance sent it after this one's lease
   * ran out).
   */
  markDeliveryRetry(id: number, error: string, nextAttemptAt: Date): Promise<void>;
  /** A permanent failure: never tried again, its claim released. Changes nothing once it is no longer pending. */
  markDeliveryFailed(id: number, error: string): Promise<void>;
  /**
   * When a pending delivery can next be claimed (its attempt due and no live claim on it), if any:
   * the worker sleeps until then.
   */
  nextDeliveryDueAt(): Promise<Date | null>;

  /** The latest codes, newest first, with their deliveries. */
  listCodes(limit: number): Promise<CodeView[]>;
  /** The call that started last, if any. */
  latestCall(): Promise<CallView | null>;

  /**
   * Deletes a bounded batch of the calls that started before `before`, each whole: the call (what
   * was heard, its recording link), its codes, and all its deliveries. A call with a delivery still
   * pending, or with a code received since `before`, is kept whole however old: it is not over.
   * `done` is false while more remain. While another instance prunes, it deletes nothing and says `done`.
   */
  pruneCalls(before: Date): Promise<CallPruneCounts>;
}

/** What one `pruneCalls` deleted. */
export interface CallPruneCounts {
  calls: number;
  codes: number;
  deliveries: number;
  done: boolean;
}
