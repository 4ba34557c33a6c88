import type { Clock } from '../delivery/ports';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { CallInfo, CodeSource, Recipient, Store } from '../store/store';
import { extractCode } from './extract-code';
import type { TwilioCallParams } from './twilio-params';
import { goodbyeTwiml, hangupTwiml, listenTwiml, recordTwiml, type CallPlan } from './twiml';

export interface CallFlowDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  plan: CallPlan;
  recipients: Recipient[];
  /** Called when deliveries were stored, so the worker sends them now. */
  onDeliveriesStored: () => void;
  /**
   * How long a call that ended without a code waits for its transcript before the team gets the
   * recording link anyway. Twilio says transcripts take "up to 10 minutes".
   */
  transcriptGraceMs: number;
}

/** The verification call, step by step. Each function stores what it learnt, then returns TwiML. */
export class CallFlow {
  constructor(private readonly deps: CallFlowDeps) {}

  /** `POST /twilio/voice`: start (or continue) listening. */
  answer(params: TwilioCallParams, listen: number): string {
    this.deps.store.recordCall(callOf(params), this.deps.clock.now());
    if (listen === 1) {
      this.deps.metrics.callAnswered();
      this.deps.logger.info({ callSid: params.CallSid, from: params.From }, 'answered a call; listening for the code');
    }
    return listenTwiml(this.deps.plan, listen);
  }

  /** `POST /twilio/gather`: a try ended. A full code ends the call; anything less listens again. */
  gathered(params: TwilioCallParams, listen: number): string {
    const heardDigits = Boolean(params.Digits);
    const text = heardDigits ? params.Digits : params.SpeechResult;
    if (this.capture(params, text, heardDigits ? 'dtmf' : 'speech')) return goodbyeTwiml();
    this.deps.logger.info({ callSid: params.CallSid, listen }, 'no full code heard in this try');
    const { plan } = this.deps;
    return listen < plan.maxListens ? listenTwiml(plan, listen + 1) : recordTwiml(plan);
  }

  /**
   * `POST /twilio/recording`: the fallback recording ended (its action and its status callback
   * both land here). Unless a code turns up, the team gets the link once the transcript is in.
   */
  recorded(params: TwilioCallParams): string {
    const { store, clock, recipients, transcriptGraceMs } = this.deps;
    store.recordCall(callOf(params), clock.now());
    if (params.RecordingUrl) store.setRecordingUrl(params.CallSid, params.RecordingUrl);
    const now = clock.now();
    if (store.scheduleMissedCallNotice(params.CallSid, recipients, new Date(now.getTime() + transcriptGraceMs), now)) {
      this.deps.logger.warn({ callSid: params.CallSid }, 'call ended without a code; waiting for the transcript');
    }
    return hangupTwiml();
  }

  /** `POST /twilio/transcription`: the recording's transcript, our last chance at the code. */
  transcribed(params: TwilioCallParams): void {
    const { store, clock, recipients } = this.deps;
    store.recordCall(callOf(params), clock.now());
    if (params.RecordingUrl) store.setRecordingUrl(params.CallSid, params.RecordingUrl);
    const completed = params.TranscriptionStatus === undefined || params.TranscriptionStatus === 'completed';
    if (completed && this.capture(params, params.TranscriptionText, 'transcription')) return;
    // No code in the transcript (or no transcript): tell the team now, with the link.
    const now = clock.now();
    store.scheduleMissedCallNotice(params.CallSid, recipients, now, now);
    store.releaseMissedCallNotice(params.CallSid, now);
    this.deps.logger.warn(
      { callSid: params.CallSid, transcriptionStatus: params.TranscriptionStatus },
      'no code in the transcript; sending the recording link',
    );
    this.deps.onDeliveriesStored();
  }

  /** Stores the code heard in `text`, if there is a full one. True when there was. */
  private capture(params: TwilioCallParams, text: string | undefined, source: CodeSource): boolean {
    const { store, clock, plan, recipients, metrics, logger } = this.deps;
    const code = extractCode(text, { length: plan.codeLength, language: plan.language });
    if (!code) {
      if (text?.trim()) store.addHeard(params.CallSid, text.trim());
      return false;
    }
    const now = clock.now();
    const { created } = store.captureCode({ call: callOf(params), code, source, receivedAt: now }, recipients, now);
    if (created) {
      metrics.codeCaptured(source);
      logger.info({ callSid: params.CallSid, source, recipients: recipients.length }, 'code captured');
      this.deps.onDeliveriesStored();
    } else {
      logger.info({ callSid: params.CallSid, source }, 'code heard again; already stored');
    }
    return true;
  }
}

function callOf(params: TwilioCallParams): CallInfo {
  return { callSid: params.CallSid, from: params.From, to: params.To };
}
