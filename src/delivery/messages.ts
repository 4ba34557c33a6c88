import type { DeliveryJob } from '../store/call-store';
import type { OutgoingEmail, OutgoingSms } from './ports';

const SOURCE_WORDS = { dtmf: 'keyed in', speech: 'spoken on the call', transcription: "in the call's transcript" };

/**
 * What a rehearsal's messages start with (`wa-onboard simulate call`): its code is made up, and
 * someone who sees only the subject or the SMS must not take it for Meta's and spend it.
 */
export const REHEARSAL_PREFIX = '[rehearsal] ';
const REHEARSAL_NOTE = "This is a rehearsal (wa-onboard simulate call), not Meta's call: a code in it is made up. Do not enter it anywhere.";

/** The subject or SMS text, marked when the call was a rehearsal. */
function marked(job: DeliveryJob, text: string): string {
  return job.call.rehearsal ? REHEARSAL_PREFIX + text : text;
}

/** The lines a rehearsal's email opens with. */
function rehearsalLines(job: DeliveryJob): string[] {
  return job.call.rehearsal ? [REHEARSAL_NOTE, ''] : [];
}

/** The email for a delivery: the code itself, or the notice that a call ended without one. */
export function emailFor(job: DeliveryJob): OutgoingEmail {
  const { call, code } = job;
  if (code) {
    return {
      to: job.recipient,
      subject: marked(job, `WhatsApp verification code for ${call.to}: ${code.code}`),
      text: [
        ...rehearsalLines(job),
        `Meta's verification call to ${call.to} gave the code:`,
        '',
        `    ${code.code}`,
        '',
        `Heard ${SOURCE_WORDS[code.source]} at ${code.receivedAt.toISOString()}.`,
        `Call ${call.callSid} from ${call.from}.`,
        '',
        'Enter it in WhatsApp Manager, or run verify_code with it, before Meta asks for a new one.',
      ].join('\n'),
    };
  }
  return {
    to: job.recipient,
    subject: marked(job, `No code heard on the verification call to ${call.to}`),
    text: [
      ...rehearsalLines(job),
      `A call to ${call.to} from ${call.from} (${call.callSid}) ended without a full code.`,
      '',
      call.recordingUrl ? `Recording: ${call.recordingUrl}` : 'No recording was made.',
      call.heard.length > 0 ? `What was heard:\n${call.heard.map((h) => `  - ${h}`).join('\n')}` : 'Nothing was heard.',
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
  const { call, code } = job;
  if (code) return { to: job.recipient, body: marked(job, `WhatsApp verification code for ${call.to}: ${code.code}`) };
  const heard = call.heard.join(' / ');
  const said = heard ? ` Heard: "${heard.length > 60 ? `${heard.slice(0, 59)}…` : heard}".` : '';
  const recording = call.recordingUrl ? ` Recording: ${call.recordingUrl}` : '';
  return { to: job.recipient, body: marked(job, `No code heard on Meta's call to ${call.to}.${said}${recording}`) };
}
