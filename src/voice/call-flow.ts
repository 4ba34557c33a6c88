import type { Clock } from '../delivery/ports';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { CallInfo, CallStore, CodeSource, Forwarding, Recipient } from '../store/call-store';
import { StoreError } from '../store/store-error';
import { CallAdmission } from './call-admission';
import type { CodeSpool } from './code-spool';
import { explainCodeExtraction } from './extract-code';
import { HELD_REASONS, type ForwardingRules } from './forward-budget';
import type { TwilioCallParams } from './twilio-params';
import { goodbyeTwiml, hangupTwiml, listenTwiml, recordTwiml, type CallPlan } from './twiml';

export interface CallFlowDeps {
  store: CallStore;
  /** Where a code goes when the store will not take it. */
  spool: Pick<CodeSpool, 'keep'>;
  /** A code went to the spool: deliver it from there now. */
  onSpooled: () => void;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  plan: CallPlan;
  recipients: Recipient[];
  /** Called when deliveries were stored or made due, so the worker sends them now. */
  onDeliveriesStored: () => void;
  /**
   * The latest a call without a code waits before the team hears of it: long enough for every
   * listening try, the two-minute recording and its transcript, which Twilio says takes "up to
   * 10 minutes". Most calls tell us sooner (see `callRecorded` and `transcribed`).
   */
  missedCallDeadlineMs: number;
  /** CALL_FORWARD_LIMIT and CALLERS_ALLOWED: which calls reach the recipients (see forward-budget.ts). */
  forwarding: ForwardingRules;
}

/**
 * The verification call, step by step. Each function stores what it learnt, then returns TwiML.
 *
 * Nothing is lost when no code is heard: answering the call schedules the "no code heard" notice
 * (recording link, what was heard) at a deadline, and a code captured at any point cancels it.
 * The notice goes out early when the call ends before the fallback recording, or when the
 * recording's transcript holds no code either.
 *
 * The call goes on when the store fails (the database restarting, say): what cannot be recorded
 * is logged and left out, Twilio still gets the TwiML to listen, and a code heard meanwhile goes
 * to the local spool, to be delivered from there and stored once the database is back.
 *
 * A call held back (over CALL_FORWARD_LIMIT, or from outside CALLERS_ALLOWED) goes exactly the same
 * way, answered, heard and stored, except that nothing of it is sent: Twilio and the caller see no
 * difference, and the operator page and `/api/codes` show it, and why.
 */
export class CallFlow {
  private readonly admission: CallAdmission;

  constructor(private readonly deps: CallFlowDeps) {
    this.admission = new CallAdmission({
      store: deps.store,
      rules: deps.forwarding,
      recipients: deps.recipients,
      logger: deps.logger,
      onDeliveriesStored: deps.onDeliveriesStored,
    });
  }

  /** `POST /twilio/voice`: start (or continue) listening. */
  async answer(params: TwilioCallParams, listen: number): Promise<string> {
    const { store, clock, plan, recipients } = this.deps;
    // A doctor's probe gets the very TwiML a call gets, and no record or missed-call notice.
    if (params.WaOnboardProbe) return listenTwiml(plan, listen);
    const now = clock.now();
    const forwarding = await this.admit(params);
    if (listen === 1) {
      if (forwarding === 'forwarded') {
        const dueAt = new Date(now.getTime() + this.deps.missedCallDeadlineMs);
        await this.tolerate('schedule the missed-call notice', params, () => store.scheduleMissedCallNotice(params.CallSid, recipients, dueAt, now));
      }
      this.deps.metrics.callAnswered();
      this.deps.logger.info({ callSid: params.CallSid, from: params.From, forwarding }, 'answered a call; listening for the code');
    }
    // The last try's document ends in the recording: from here on a transcript is coming.
    if (listen >= plan.maxListens) await this.tolerate('note the fallback', params, () => store.markFallback(params.CallSid, now));
    return listenTwiml(plan, listen);
  }

  /** `POST /twilio/gather`: a try ended. A full code ends the call; anything less listens again. */
  async gathered(params: TwilioCallParams, listen: number): Promise<string> {
    const heardDigits = Boolean(params.Digits);
    const text = heardDigits ? params.Digits : params.SpeechResult;
    if (await this.capture(params, text, heardDigits ? 'dtmf' : 'speech')) return goodbyeTwiml();
    this.deps.logger.info({ callSid: params.CallSid, listen }, 'no full code heard in this try');
    const { plan, store, clock } = this.deps;
    if (listen < plan.maxListens) return listenTwiml(plan, listen + 1);
    await this.tolerate('note the fallback', params, () => store.markFallback(params.CallSid, clock.now()));
    return recordTwiml(plan);
  }

  /** `POST /twilio/recording`: the fallback recording ended (its action and status callback). */
  async recorded(params: TwilioCallParams): Promise<string> {
    await this.keepRecording(params, { replace: false });
    return hangupTwiml();
  }

  /**
   * `POST /twilio/call-recording`: the recording of the whole call is complete, so the call is
   * over. Its link is the one the team wants. Without a code, and with no transcript to wait for,
   * the team hears of it now.
   */
  async callRecorded(params: TwilioCallParams): Promise<void> {
    const forwarding = await this.keepRecording(params, { replace: true });
    const state = await this.tolerate('read the call', params, () => this.deps.store.callState(params.CallSid));
    if (state && !state.hasCode && !state.fallback) await this.noCode(params, forwarding, 'the call ended before the fallback recording');
  }

  /** `POST /twilio/transcription`: the fallback recording's transcript, our last chance at the code. */
  async transcribed(params: TwilioCallParams): Promise<void> {
    const forwarding = await this.keepRecording(params, { replace: false });
    const completed = params.TranscriptionStatus === undefined || params.TranscriptionStatus === 'completed';
    if (completed && (await this.capture(params, params.TranscriptionText, 'transcription'))) return;
    await this.noCode(params, forwarding, `no code in the transcript (${params.TranscriptionStatus ?? 'no status'})`);
  }

  /** Sends the "no code heard" notice now rather than at the deadline, if the call is forwarded. */
  private async noCode(params: TwilioCallParams, forwarding: Forwarding | undefined, reason: string): Promise<void> {
    const { store, clock, recipients } = this.deps;
    if (forwarding !== 'forwarded') {
      // Held back, or not known (the store failed: nothing could be scheduled anyway).
      const why = forwarding ? HELD_REASONS[forwarding] : 'the store is unavailable';
      this.deps.logger.warn({ callSid: params.CallSid, reason }, `no code heard; the call is not forwarded (${why})`);
      return;
    }
    const now = clock.now();
    // Scheduling is a no-op when answer() already did; it covers a call answered before a restart.
    await this.tolerate('send the missed-call notice', params, async () => {
      await store.scheduleMissedCallNotice(params.CallSid, recipients, now, now);
      await store.releaseMissedCallNotice(params.CallSid, now);
    });
    this.deps.logger.warn({ callSid: params.CallSid, reason }, 'no code heard; sending the recording link');
    this.deps.onDeliveriesStored();
  }

  /** Keeps the call and its recording link, if the store answers; the call's forwarding, if known. */
  private async keepRecording(params: TwilioCallParams, options: { replace: boolean }): Promise<Forwarding | undefined> {
    const forwarding = await this.admit(params);
    const url = params.RecordingUrl;
    if (forwarding && url) await this.tolerate('keep the recording', params, () => this.deps.store.setRecordingUrl(params.CallSid, url, options));
    return forwarding;
  }

  /** Records the call (the first time, deciding its forwarding); undefined when the store failed. */
  private admit(params: TwilioCallParams): Promise<Forwarding | undefined> {
    return this.tolerate('record the call', params, () => this.admission.admit(callOf(params), this.deps.clock.now()));
  }

  /**
   * Runs a write the call can go on without: when the store fails, the failure is logged and the
   * call goes on (undefined is returned). Anything but a store failure is a bug, and thrown.
   */
  private async tolerate<T>(what: string, params: TwilioCallParams, write: () => Promise<T>): Promise<T | undefined> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      this.deps.logger.warn({ callSid: params.CallSid, err: error.message }, `the store is unavailable: could not ${what}; the call goes on`);
      return undefined;
    }
  }

  /** Stores the code heard in `text`, if there is a full one. True when there was. */
  private async capture(params: TwilioCallParams, text: string | undefined, source: CodeSource): Promise<boolean> {
    const { store, clock, plan, metrics, logger } = this.deps;
    const { code, ...why } = explainCodeExtraction(text, { length: plan.codeLength, language: plan.language });
    if (!code) {
      // The reason ("no run of exactly 6 digits", "ambiguous: 2 different codes") holds no digits.
      logger.info({ callSid: params.CallSid, source, reason: 'reason' in why ? why.reason : undefined }, 'no code in what was heard');
      const heard = text?.trim();
      if (heard) await this.tolerate('keep what was heard', params, () => store.addHeard(params.CallSid, heard));
      return false;
    }
    const now = clock.now();
    const call = callOf(params);
    let forwarding: Forwarding | undefined;
    let created: boolean;
    try {
      forwarding = await this.admission.admit(call, now);
      ({ created } = await store.captureCode({ call, code, source, receivedAt: now }, this.admission.recipientsFor(forwarding), now));
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      // The code must not be lost: kept on local disk, delivered from there, stored later, with
      // its call's forwarding (checked by caller alone when the store could not count the budget).
      forwarding ??= this.admission.withoutStore(call);
      const spooled = { call: { ...call, forwarding }, code, source, receivedAt: now };
      await this.deps.spool.keep(spooled, this.admission.recipientsFor(forwarding));
      logger.warn({ callSid: params.CallSid, source, forwarding, err: error.message }, 'the store is unavailable: the code is spooled on local disk and delivered from there');
      metrics.codeCaptured(source);
      this.deps.onSpooled();
      return true;
    }
    if (created) {
      metrics.codeCaptured(source);
      const sentTo = this.admission.recipientsFor(forwarding).length;
      logger.info({ callSid: params.CallSid, source, forwarding, recipients: sentTo }, forwarding === 'forwarded' ? 'code captured' : `code captured; not forwarded (${HELD_REASONS[forwarding]})`);
      if (sentTo > 0) this.deps.onDeliveriesStored();
    } else {
      logger.info({ callSid: params.CallSid, source }, 'code heard again; already stored');
    }
    return true;
  }
}

function callOf(params: TwilioCallParams): CallInfo {
  return { callSid: params.CallSid, from: params.From, to: params.To, rehearsal: params.WaOnboardRehearsal !== undefined };
}
