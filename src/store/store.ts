/** Where a captured code was heard. */
export type CodeSource = 'dtmf' | 'speech' | 'transcription';
export type Channel = 'email' | 'sms';
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'cancelled';
/** A code to forward, or the notice that a call ended with no code (recording link, what was heard). */
export type DeliveryKind = 'code' | 'missed-call';

export interface CallInfo {
  callSid: string;
  from: string;
  to: string;
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
  /** The "no code heard" notice, one delivery per recipient, once scheduled. */
  notices: DeliveryView[];
}

export interface CodeView {
  code: string;
  source: CodeSource;
  callSid: string;
  from: string;
  to: string;
  receivedAt: string;
  deliveries: DeliveryView[];
}

/**
 * The few queries the service needs. Every write that Twilio's answer depends on happens here,
 * before the answer, so a restart resumes from what was stored. Asynchronous, so a server
 * database can implement it; the SQLite one answers at once.
 */
export interface Store {
  /** Records a call the first time it is seen; later calls with the same SID change nothing. */
  recordCall(call: CallInfo, at: Date): Promise<void>;
  /** Keeps what was heard without a full code, for the missed-call notice. */
  addHeard(callSid: string, text: string): Promise<void>;
  /** Keeps a recording link; `replace: false` keeps one already stored. */
  setRecordingUrl(callSid: string, url: string, options: { replace: boolean }): Promise<void>;
  /** Notes that the call went on to the transcribed recording (a transcript will follow). */
  markFallback(callSid: string, at: Date): Promise<void>;
  /** What is known of a call so far. */
  callState(callSid: string): Promise<{ hasCode: boolean; fallback: boolean }>;
  /**
   * Stores a code and one pending delivery per recipient, in one transaction, and cancels any
   * missed-call notice of the call. `created` is false when the call already had this code.
   */
  captureCode(captured: CapturedCode, recipients: Recipient[], now: Date): Promise<{ created: boolean }>;
  /** Schedules the missed-call notice (once per call and recipient) unless the call has a code. */
  scheduleMissedCallNotice(callSid: string, recipients: Recipient[], dueAt: Date, now: Date): Promise<boolean>;
  /** Makes a call's scheduled missed-call notice due at `at` (the transcript came back empty). */
  releaseMissedCallNotice(callSid: string, at: Date): Promise<void>;

  /** Pending deliveries due at `now`, oldest first, leaving out `excludeIds` (those in flight). */
  dueDeliveries(now: Date, limit: number, excludeIds?: number[]): Promise<DeliveryJob[]>;
  markDeliverySent(id: number, at: Date): Promise<void>;
  markDeliveryRetry(id: number, error: string, nextAttemptAt: Date): Promise<void>;
  markDeliveryFailed(id: number, error: string): Promise<void>;
  /** When the next pending delivery is due, if any: the worker sleeps until then. */
  nextDueAt(): Promise<Date | null>;

  /** The latest codes, newest first, with their deliveries. */
  listCodes(limit: number): Promise<CodeView[]>;
  /** The call that started last, if any. */
  latestCall(): Promise<CallView | null>;
  /** Throws when the database does not answer (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
