import { randomBytes } from 'node:crypto';
import { simulateTwilioCall, type CallStep } from '../../embedded/simulated-twilio-call';
import { sixDigits } from '../../meta/six-digits';
import type { CodeView } from '../../store/call-store';
import { extractCode } from '../../voice/extract-code';
import { HELD_REASONS } from '../../voice/forward-budget';
import { cliConfig, serviceApiFor, serviceUrlOf } from '../context';
import { createWaiter } from '../progress';
import type { CommandContext } from './command-context';

export interface SimulateCallOptions {
  speech?: string;
  digits?: string;
  /** Where the service listens, when not at PUBLIC_URL (signatures are still made for PUBLIC_URL). */
  url?: string;
  from: string;
  /** Seconds to wait for the deliveries to settle. */
  wait: number;
}

/**
 * `wa-onboard simulate call`: plays Twilio's part of Meta's call against a running service, signed
 * with the auth token and following the TwiML it gets back, then reads from the admin API what the
 * service heard and delivered. The code is a made-up one: every request is marked as a rehearsal
 * (inside the signature), so the call is shown as one and the team's email and SMS say so.
 */
export async function simulateCallCommand({ env, out, io }: CommandContext, options: SimulateCallOptions): Promise<number> {
  const config = cliConfig(env);
  const serviceUrl = serviceUrlOf(config, options.url);
  const made = sixDigits();
  const speech = options.digits ? undefined : (options.speech ?? `Your WhatsApp verification code is ${[...made].join(' ')}. Again, ${[...made].join(' ')}.`);
  const expected = options.digits ?? (options.speech === undefined ? made : extractCode(options.speech, { length: config.codeLength, language: config.voiceLanguage }));
  const callSid = `CA${randomBytes(16).toString('hex')}`;

  out.line(`Calling ${serviceUrl}/twilio/voice as Twilio would for ${config.twilio.phoneNumber} (call ${callSid})`);
  out.line(options.digits ? `  keyed in: ${options.digits}` : `  Meta's robot says: "${speech}"`);
  const steps = await simulateTwilioCall({
    serviceUrl,
    publicUrl: config.publicUrl,
    authToken: config.twilio.authToken,
    accountSid: config.twilio.accountSid,
    from: options.from,
    to: config.twilio.phoneNumber,
    speech,
    digits: options.digits,
    callSid,
    rehearsal: true,
    onStep: (step) => out.mark(step.status === 200 ? 'info' : 'fail', `POST ${step.path}`, `${step.status}, ${verbsOf(step)}`),
  });
  if (steps.some((s) => s.status !== 200)) {
    const refused = steps.find((s) => s.status !== 200);
    out.mark('fail', 'The service refused the call', `HTTP ${refused?.status}`, refused?.status === 403 ? 'Use the same PUBLIC_URL and TWILIO_AUTH_TOKEN as the service.' : "Read the service's log.");
    out.result({ ok: false, callSid, steps });
    return 1;
  }

  const api = serviceApiFor(config, options.url);
  const wait = createWaiter({ stream: io.stderr, pollMs: io.pollMs ?? 500, quiet: out.json });
  const heard = await wait('waiting for the deliveries', options.wait * 1000, async () => {
    const code = (await api.codes(50)).find((c) => c.callSid === callSid);
    return code && code.deliveries.every((d) => d.status !== 'pending') ? code : undefined;
  }) ?? (await api.codes(50)).find((c) => c.callSid === callSid);
  return report(out, { callSid, steps, heard, expected });
}

function report(out: CommandContext['out'], r: { callSid: string; steps: CallStep[]; heard: CodeView | undefined; expected: string | null }): number {
  const { heard, expected } = r;
  if (!heard) {
    out.mark(expected ? 'fail' : 'pass', 'The service heard no code', expected ? `expected ${expected}` : 'as expected: there was none to hear');
    out.result({ ok: !expected, callSid: r.callSid, heard: null, steps: r.steps });
    return expected ? 1 : 0;
  }
  const right = expected === null || heard.code === expected;
  out.mark(right ? 'pass' : 'fail', `The service heard ${heard.code}`, `by ${heard.source}${right ? '' : `, expected ${expected}`}`);
  if (heard.forwarding !== 'forwarded') {
    // A rehearsal is a call like any other: the allow-list and the hourly budget apply to it too.
    out.mark('fail', `Not forwarded: ${HELD_REASONS[heard.forwarding]}`, HELD_FIXES[heard.forwarding]);
    out.result({ ok: false, callSid: r.callSid, heard, steps: r.steps });
    return 1;
  }
  for (const d of heard.deliveries) {
    const mark = d.status === 'sent' ? 'pass' : d.status === 'pending' ? 'skip' : 'fail';
    out.mark(mark, `${d.channel} to ${d.to}`, `${d.status}${d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}${d.error ? ` (${d.error})` : ''}`);
  }
  if (heard.deliveries.length === 0) out.line('  no recipients: set NOTIFY_EMAIL_TO or NOTIFY_SMS_TO to have codes forwarded');
  const delivered = heard.deliveries.every((d) => d.status === 'sent');
  out.result({ ok: right && delivered, callSid: r.callSid, heard, steps: r.steps });
  return right && delivered ? 0 : 1;
}

/** What to do about a rehearsal the service answered and stored but did not forward. */
const HELD_FIXES = {
  'caller-not-allowed': "the caller is outside CALLERS_ALLOWED: add its prefix there, or rehearse with --from and a number it allows (the service's setting, not this command's)",
  'over-limit': 'CALL_FORWARD_LIMIT calls were forwarded in the last hour: wait, or raise the limit (the team was told once)',
} as const;

/** "Gather, Redirect": the verbs of a TwiML answer, enough to follow the call. */
function verbsOf(step: CallStep): string {
  const verbs = [...step.twiml.matchAll(/<([A-Z]\w*)\b/g)].map((m) => m[1]).filter((v) => v !== 'Response');
  return verbs.length > 0 ? verbs.join(', ') : 'empty TwiML';
}
