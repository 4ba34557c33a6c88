import twilio from 'twilio';
import { digitHints } from './extract-code';

const { VoiceResponse } = twilio.twiml;
type GatherLanguage = NonNullable<Parameters<InstanceType<typeof VoiceResponse>['gather']>[0]>['language'];

/** What shapes the TwiML of a verification call. */
export interface CallPlan {
  /** Base URL Twilio calls back (no trailing slash); `{{PUBLIC_URL}}` when writing twiml/. */
  publicUrl: string;
  codeLength: number;
  /** BCP-47 tag for the Gather, such as `en-US`. */
  language: string;
  /** Listening tries before falling back to a recording. */
  maxListens: number;
}

export const DEFAULT_MAX_LISTENS = 4;

/**
 * Listen for the code, try `listen` of `plan.maxListens`. Nothing is said first: Meta's robot
 * starts speaking when the call is answered, and a greeting would talk over the code.
 * A try that hears nothing falls through to the next verb: another try, or, after the last one,
 * a recording with a transcript so a code is never lost.
 */
export function listenTwiml(plan: CallPlan, listen: number): string {
  const response = new VoiceResponse();
  if (listen === 1) {
    // Record the whole call in the background. Its completion tells us the call is over, and
    // its link lets a person hear the code when every machine failed to.
    response.start().recording({
      recordingStatusCallback: `${plan.publicUrl}/twilio/call-recording`,
      recordingStatusCallbackMethod: 'POST',
      recordingStatusCallbackEvent: ['completed'],
    });
  }
  response.gather({
    input: ['dtmf', 'speech'],
    numDigits: plan.codeLength,
    // Seconds to wait for the robot to start; a code takes a few seconds to say.
    timeout: 10,
    // An integer, not `auto`: Twilio's docs ask for one when a speechModel is set. Three seconds
    // bridges the pauses a robot leaves between digit groups without waiting out a repetition.
    speechTimeout: '3',
    speechModel: 'numbers_and_commands',
    hints: digitHints(plan.language).join(','),
    language: plan.language as GatherLanguage,
    action: `${plan.publicUrl}/twilio/gather?listen=${listen}`,
    method: 'POST',
  });
  if (listen < plan.maxListens) {
    response.redirect({ method: 'POST' }, `${plan.publicUrl}/twilio/voice?listen=${listen + 1}`);
  } else {
    appendRecording(response, plan);
  }
  return response.toString();
}

/** The last resort once every listening try is spent: record, transcribe, hang up. */
export function recordTwiml(plan: CallPlan): string {
  const response = new VoiceResponse();
  appendRecording(response, plan);
  return response.toString();
}

/**
 * Record what is left of the call and have Twilio transcribe it. Transcription only works for
 * recordings of 2 to 120 seconds, so cap the length at 120. Without an `action`, Twilio would
 * request this document again and loop; the action answers with a hang-up.
 */
function appendRecording(response: InstanceType<typeof VoiceResponse>, plan: CallPlan): void {
  response.record({
    maxLength: 120,
    timeout: 10,
    playBeep: false,
    transcribe: true,
    transcribeCallback: `${plan.publicUrl}/twilio/transcription`,
    action: `${plan.publicUrl}/twilio/recording`,
    method: 'POST',
    recordingStatusCallback: `${plan.publicUrl}/twilio/recording`,
    recordingStatusCallbackMethod: 'POST',
  });
  response.hangup();
}

/** The code was heard: end the call at once; delivery happens after Twilio has its answer. */
export function goodbyeTwiml(): string {
  const response = new VoiceResponse();
  response.say('Thank you. Goodbye.');
  response.hangup();
  return response.toString();
}

/** The answer to the recording's action: nothing more to do on this call. */
export function hangupTwiml(): string {
  const response = new VoiceResponse();
  response.hangup();
  return response.toString();
}

/** Something failed on our side: a short apology instead of a stack trace, then hang up. */
export function sorryTwiml(): string {
  const response = new VoiceResponse();
  response.say('Sorry, this line cannot take the call right now.');
  response.hangup();
  return response.toString();
}

/** Twilio ignores the body of answers to status callbacks, but it must still be TwiML. */
export function emptyTwiml(): string {
  return new VoiceResponse().toString();
}
