import type { DeliveryJob } from '../store/call-store';
import type { OutgoingEmail, OutgoingSms } from './ports';

const SOURCE_WORDS = { dtmf: 'keyed in', speech: 'spoken on the call', transcription: "in the call's transcript" };

/** The email for a delivery: the code itself, or the notice that a call ended without one. */
export function emailFor(job: DeliveryJob): OutgoingEmail {
  const { call, code } = job;
  if (code) {
    return {
      to: job.recipient,
      subject: `WhatsApp verification code for ${call.to}: ${code.code}`,
      text: [
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
    subject: `No code heard on the verification call to ${call.to}`,
    text: [
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
  if (code) return { to: job.recipient, body: `WhatsApp verification code for ${call.to}: ${code.code}` };
  const heard = call.heard.join(' / ');
  const said = heard ? ` Heard: "${heard.length > 60 ? `${heard.slice(0, 59)}…` : heard}".` : '';
  const recording = call.recordingUrl ? ` Recording: ${call.recordingUrl}` : '';
  return { to: job.recipient, body: `No code heard on Meta's call to ${call.to}.${said}${recording}` };
}
