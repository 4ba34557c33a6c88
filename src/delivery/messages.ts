import type { DeliveryJob } from '../store/call-store';
import { callerWords, CALLER_WORDS_MAX, oneLine } from './plain-text';
import { pauseEmail, pauseSms } from './pause-notice';
import type { OutgoingEmail, OutgoingSms } from './ports';

const SOURCE_WORDS = { dtmf: 'keyed in', speech: 'spoken on the call', transcription: "in the call's transcript" };

/**
 * What a rehearsal's messages start with (`wa-onboard simulate call`): its code is made up, and
 * someone who sees only the subject or the SMS must not take it for Meta's and spend it.
 */
export const REHEARSAL_PREFIX = '[rehearsal] ';
const REHEARSAL_NOTE = "This is a rehearsal (wa-onboard simulate call), not Meta's call: a code in it is made up. Do not enter it anywhere.";

/** A phone number as Twilio gave it (`From` is whatever caller id was presented): one short line. */
const NUMBER_MAX = 40;

/** The subject or SMS text, marked when the call was a rehearsal. */
function marked(job: DeliveryJob, text: string): string {
  return job.call.rehearsal ? REHEARSAL_PREFIX + text : text;
}

/** The lines a rehearsal's email opens with. */
function rehearsalLines(job: DeliveryJob): string[] {
  return job.call.rehearsal ? [REHEARSAL_NOTE, ''] : [];
}

/** The email for a delivery: the code itself, the notice that a call ended without one, or that forwarding paused. */
export function emailFor(job: DeliveryJob): OutgoingEmail {
  if (job.kind === 'paused') return pauseEmail(job);
  const { call, code } = job;
  const to = oneLine(call.to, NUMBER_MAX);
  const from = oneLine(call.from, NUMBER_MAX);
  if (code) {
    return {
      to: job.recipient,
      subject: marked(job, `WhatsApp verification code for ${to}: ${code.code}`),
      text: [
        ...rehearsalLines(job),
        `Meta's verification call to ${to} gave the code:`,
        '',
        `    ${code.code}`,
        '',
        `Heard ${SOURCE_WORDS[code.source]} at ${code.receivedAt.toISOString()}.`,
        `Call ${call.callSid} from ${from}.`,
        '',
        'Enter it in WhatsApp Manager, or run verify_code with it, before Meta asks for a new one.',
      ].join('\n'),
    };
  }
  return {
    to: job.recipient,
    subject: marked(job, `No code heard on the verification call to ${to}`),
    text: [
      ...rehearsalLines(job),
      `A call to ${to} from ${from} (${call.callSid}) ended without a full code.`,
      '',
      call.recordingUrl ? `Recording: ${call.recordingUrl}` : 'No recording was made.',
      callerWords(call.heard, CALLER_WORDS_MAX.email) ?? 'Nothing was heard.',
      '',
      'Listen to the recording for the code, or request a new call from Meta.',
    ].join('\n'),
  };
}

/**
 * The SMS for a delivery. A code fits one 160-character segment; a missed-call notice carries the
 * whole recording link (Twilio's are 123 characters), even if that takes two.
 */
export function smsFor(job: DeliveryJob): OutgoingSms {
  if (job.kind === 'paused') return pauseSms(job);
  const { call, code } = job;
  const to = oneLine(call.to, NUMBER_MAX);
  if (code) return { to: job.recipient, body: marked(job, `WhatsApp verification code for ${to}: ${code.code}`) };
  const words = callerWords(call.heard, CALLER_WORDS_MAX.sms);
  const said = words ? ` ${words}.` : '';
  const recording = call.recordingUrl ? ` Recording: ${call.recordingUrl}` : '';
  return { to: job.recipient, body: marked(job, `No code heard on Meta's call to ${to}.${said}${recording}`) };
}
