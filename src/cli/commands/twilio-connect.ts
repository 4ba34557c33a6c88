import { cliConfig, twilioClientFor } from '../context';
import { findIncomingNumber, pointVoiceUrl, voiceSettingProblems, type IncomingNumber } from '../../voice/voice-webhook-setting';
import type { CommandContext } from './command-context';

export interface TwilioConnectOptions {
  dryRun?: boolean;
  force?: boolean;
}

/**
 * `wa-onboard twilio connect`: points the number's voice webhook at `{PUBLIC_URL}/twilio/voice`
 * (POST) and shows it before and after. A voice application overrides the URL: replacing it may
 * break someone's IVR, so that takes `--force`.
 */
export async function twilioConnectCommand({ env, out }: CommandContext, options: TwilioConnectOptions): Promise<number> {
  const config = cliConfig(env);
  const voiceUrl = `${config.publicUrl}/twilio/voice`;
  const client = twilioClientFor(config);
  const number = await findIncomingNumber(client, config.twilio.phoneNumber);
  if (!number) {
    out.mark('fail', `${config.twilio.phoneNumber} is not on account ${config.twilio.accountSid}`, undefined, 'Set TWILIO_PHONE_NUMBER to one of the account\'s numbers.');
    out.result({ ok: false, error: 'number not on the account' });
    return 1;
  }
  out.line(`${number.phoneNumber} (${number.sid})`);
  out.line(`  before: ${describe(number)}`);
  const problems = voiceSettingProblems(number, voiceUrl);
  if (problems.length === 0) {
    out.mark('pass', 'Already connected', `POST ${voiceUrl}`);
    out.result({ ok: true, changed: false, before: number, after: number });
    return 0;
  }
  if (!number.canTakeCalls) {
    out.mark('fail', `${number.phoneNumber} cannot take voice calls`, undefined, 'Use a voice-capable number: Meta verifies it by calling.');
    out.result({ ok: false, error: 'number cannot take calls', before: number });
    return 1;
  }
  if (number.voiceApplicationSid && !options.force) {
    out.mark(
      'fail',
      `Voice application ${number.voiceApplicationSid} answers this number's calls`,
      'the voice URL would be ignored',
      'Run again with --force to clear the application and use the voice URL (the application itself is kept).',
    );
    out.result({ ok: false, error: 'a voice application overrides the voice URL', before: number });
    return 1;
  }
  const clearVoiceApplication = Boolean(number.voiceApplicationSid);
  const planned: IncomingNumber = { ...number, voiceUrl, voiceMethod: 'POST', voiceApplicationSid: '' };
  if (options.dryRun) {
    out.line(`  after:  ${describe(planned)} (dry run: nothing changed)`);
    out.result({ ok: true, changed: false, dryRun: true, before: number, after: planned });
    return 0;
  }
  const after = await pointVoiceUrl(client, number.sid, { voiceUrl, clearVoiceApplication });
  out.line(`  after:  ${describe(after)}`);
  out.mark('pass', 'Connected', `Meta's call to ${number.phoneNumber} will reach ${voiceUrl}`);
  out.result({ ok: true, changed: true, before: number, after });
  return 0;
}

function describe(n: IncomingNumber): string {
  const url = n.voiceUrl ? `${n.voiceMethod} ${n.voiceUrl}` : 'no voice URL';
  return n.voiceApplicationSid ? `voice application ${n.voiceApplicationSid} (overrides ${url})` : url;
}
