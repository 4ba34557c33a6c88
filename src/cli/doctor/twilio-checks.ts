import { findIncomingNumber, voiceSettingProblems } from '../../voice/voice-webhook-setting';
import { after, fail, isSet, pass, skip, type Check, type Finding } from './check';

const CREDENTIALS_FIX = 'Copy the Account SID and Auth Token from console.twilio.com (Account info) into TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.';

export const twilioCredentialsCheck: Check = {
  id: 'twilio-credentials',
  title: 'Twilio accepts the credentials',
  async run(ctx) {
    if (!isSet(ctx.env, 'TWILIO_ACCOUNT_SID') || !isSet(ctx.env, 'TWILIO_AUTH_TOKEN')) {
      return skip('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set');
    }
    if (!ctx.twilio || !ctx.config) return skip('the configuration does not load');
    try {
      const account = await ctx.twilio.api.v2010.accounts(ctx.config.twilio.accountSid).fetch();
      if (account.status !== 'active') return fail(`the account is ${account.status}`, 'Reactivate the account in the Twilio console.');
      return pass(`account "${account.friendlyName}" (${account.type})`);
    } catch (error) {
      return twilioFailure(error, CREDENTIALS_FIX);
    }
  },
};

export const twilioNumberCheck: Check = {
  id: 'twilio-number',
  title: 'The number is on the account and can take calls',
  async run(ctx) {
    const blocked = after(ctx, 'twilio-credentials');
    if (blocked) return blocked;
    if (!ctx.twilio || !ctx.config) return skip('the configuration does not load');
    const phoneNumber = ctx.config.twilio.phoneNumber;
    try {
      ctx.number = await findIncomingNumber(ctx.twilio, phoneNumber);
    } catch (error) {
      return twilioFailure(error, CREDENTIALS_FIX);
    }
    if (!ctx.number) return fail(`${phoneNumber} is not on this account`, 'Set TWILIO_PHONE_NUMBER to a number listed under Phone Numbers > Active numbers.');
    if (!ctx.number.canTakeCalls) return fail(`${phoneNumber} cannot take voice calls`, 'Use a voice-capable number: Meta verifies Twilio numbers by calling them.');
    return pass(`${phoneNumber} (${ctx.number.sid})`);
  },
};

export const voiceUrlCheck: Check = {
  id: 'twilio-voice-url',
  title: "The number's voice URL is the service",
  run(ctx) {
    const blocked = after(ctx, 'twilio-number');
    if (blocked) return blocked;
    if (!ctx.number || !ctx.config) return skip('the number was not found');
    const expected = `${ctx.config.publicUrl}/twilio/voice`;
    const problems = voiceSettingProblems(ctx.number, expected);
    if (problems.length === 0) return pass(`POST ${expected}`);
    const force = ctx.number.voiceApplicationSid ? ' --force' : '';
    return fail(problems.join('; '), `Run \`wa-onboard twilio connect${force}\` to point it at ${expected}.`);
  },
};

export const smsSenderCheck: Check = {
  id: 'sms-sender',
  title: 'The SMS sender can send',
  async run(ctx) {
    if (!ctx.config || ctx.config.notify.smsTo.length === 0) return skip('NOTIFY_SMS_TO is not set: no SMS to send');
    const blocked = after(ctx, 'twilio-credentials');
    if (blocked) return blocked;
    if (!ctx.twilio) return skip('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set: SMS go to the outbox');
    const from = ctx.config.twilio.smsFrom;
    try {
      if (from.startsWith('MG')) {
        const service = await ctx.twilio.messaging.v1.services(from).fetch();
        return pass(`messaging service "${service.friendlyName}" (${from})`);
      }
      const sender = await findIncomingNumber(ctx.twilio, from);
      if (!sender) return fail(`${from} is not on this account`, 'Set TWILIO_SMS_FROM to an SMS-capable number of this account, or a Messaging Service SID.');
      if (!sender.canSendSms) return fail(`${from} cannot send SMS`, 'Set TWILIO_SMS_FROM to an SMS-capable number or a Messaging Service SID (MG...).');
      return pass(`${from} is SMS-capable`);
    } catch (error) {
      return twilioFailure(error, 'Set TWILIO_SMS_FROM to an SMS-capable number of this account, or a Messaging Service SID.');
    }
  },
};

/** A Twilio refusal in one line: status, Twilio's code and message. */
function twilioFailure(error: unknown, fix: string): Finding {
  const { status, code, message } = error as { status?: number; code?: number | string; message?: string };
  if (status === 401 || code === 20003) return fail(`Twilio refused the credentials (${code ?? status}: ${message ?? 'Authenticate'})`, CREDENTIALS_FIX);
  if (typeof status === 'number') return fail(`Twilio answered ${status}${code ? ` (code ${code})` : ''}: ${message ?? ''}`, fix);
  return fail(`could not reach Twilio: ${message ?? String(error)}`, 'Check the network, and TWILIO_API_BASE_URL if it is set.');
}
