import type { Config, LocalSecrets } from '../config';
import { targetName } from '../whatsapp/target-name';

/**
 * `set` and `on` are as they should be; `optional` is a choice; `generated` and `outbox` work
 * locally but reach no one; `missing` and `off` need the operator.
 */
export type SettingState = 'set' | 'on' | 'optional' | 'generated' | 'outbox' | 'missing' | 'off';

/** One line of the page's configuration item: what a setting does, never a secret's value. */
export interface SettingLine {
  label: string;
  /** The environment variables behind it, so the operator knows what to set. */
  variables: string;
  state: SettingState;
  /** What is shown: an address, a host without credentials, or only whether it is set. */
  value: string;
}

export interface SettingsSummary {
  mode: Config['mode'];
  publicUrl: string;
  /** The number being registered (TWILIO_PHONE_NUMBER). */
  number: string;
  /**
   * The hosts whose recording URLs the page links: api.twilio.com and TWILIO_API_BASE_URL's.
   * A RecordingUrl arrives in a request, so any other host is shown as text, never as a link.
   */
  recordingHosts: string[];
  lines: SettingLine[];
}

type Shown = Pick<SettingLine, 'state' | 'value'>;

/** What the operator page says of the configuration. Secrets appear only as set or generated. */
export function summarizeSettings(config: Config): SettingsSummary {
  const secret = (...keys: Array<keyof LocalSecrets>): Shown =>
    keys.some((key) => config.generatedSecrets.includes(key))
      ? { state: 'generated', value: 'generated for local use' }
      : { state: 'set', value: 'set' };
  const check = (on: boolean): Shown => (on ? { state: 'on', value: 'checked' } : { state: 'off', value: 'not checked' });
  const { notify } = config;
  // One channel is enough: the other is missing only when nobody at all gets the codes.
  const nobody = notify.emailTo.length === 0 && notify.smsTo.length === 0;
  const recipients = (items: string[]): Shown =>
    items.length > 0 ? { state: 'set', value: items.join(', ') } : { state: nobody ? 'missing' : 'optional', value: 'nobody' };
  return {
    mode: config.mode,
    publicUrl: config.publicUrl,
    number: config.twilio.phoneNumber,
    recordingHosts: recordingHosts(config.twilio.apiBaseUrl),
    lines: [
      { label: 'Number being registered', variables: 'TWILIO_PHONE_NUMBER', state: 'set', value: config.twilio.phoneNumber },
      { label: 'Twilio credentials', variables: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN', ...secret('TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN') },
      { label: "Twilio's signature", variables: 'TWILIO_SIGNATURE_CHECK', ...check(config.twilio.verifySignatures) },
      { label: 'Codes by email to', variables: 'NOTIFY_EMAIL_TO', ...recipients(notify.emailTo) },
      ...(notify.emailTo.length > 0 ? [emailTransport(config)] : []),
      { label: 'Codes by SMS to', variables: 'NOTIFY_SMS_TO', ...recipients(notify.smsTo) },
      ...(notify.smsTo.length > 0 ? [smsTransport(config)] : []),
      callsForwarded(config),
      { label: 'Webhook verify token', variables: 'WHATSAPP_VERIFY_TOKEN', ...secret('WHATSAPP_VERIFY_TOKEN') },
      {
        label: 'Meta app secret',
        variables: 'WHATSAPP_APP_SECRET',
        ...secret('WHATSAPP_APP_SECRET'),
        ...(config.whatsapp.appSecrets.length > 1 ? { value: 'set, and the previous one while rotating' } : {}),
      },
      { label: "Meta's signature", variables: 'WHATSAPP_SIGNATURE_CHECK', ...check(config.whatsapp.verifySignatures) },
      {
        label: 'Events forwarded to',
        variables: 'FORWARD_URL',
        // Forwarding is a choice, not a fault: without it events are stored and shown here.
        ...(config.forward.urls.length > 0
          ? { state: 'set' as const, value: config.forward.urls.map(targetName).join(', ') }
          : { state: 'optional' as const, value: 'nowhere (stored only)' }),
      },
      ...(config.forward.urls.length > 0 ? [forwardSecret(config)] : []),
      {
        label: "Meta's API, for the command",
        variables: 'META_ACCESS_TOKEN',
        ...(config.meta.accessToken ? { state: 'set' as const, value: 'set' } : { state: 'optional' as const, value: 'not set' }),
      },
      { label: 'Admin token', variables: 'ADMIN_TOKEN', ...secret('ADMIN_TOKEN') },
    ],
  };
}

const TWILIO_API_HOST = 'api.twilio.com';

function recordingHosts(apiBaseUrl: string): string[] {
  try {
    const { host } = new URL(apiBaseUrl);
    return host === TWILIO_API_HOST ? [TWILIO_API_HOST] : [TWILIO_API_HOST, host];
  } catch {
    // The schema accepted it as a URL; should it not parse here, Twilio's own host is still safe.
    return [TWILIO_API_HOST];
  }
}

function forwardSecret(config: Config): SettingLine {
  const line = { label: 'Forwarded events signed with', variables: 'FORWARD_SECRET' };
  // The forwarder sends nothing without it (webhook-runtime.ts), so unset is a fault, not a choice.
  return config.forward.secret ? { ...line, state: 'set', value: 'set' } : { ...line, state: 'missing', value: 'not set: nothing is forwarded' };
}

function emailTransport(config: Config): SettingLine {
  const line = { label: 'Email goes through', variables: 'SMTP_URL' };
  if (!config.smtp) return { ...line, state: 'outbox', value: 'the outbox folder' };
  // Only the host and port: the URL usually holds the SMTP password.
  let server = 'an SMTP server';
  try {
    const url = new URL(config.smtp.url);
    server = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  } catch {
    // Kept vague: the schema already accepted the URL, and its text may hold the password.
  }
  return { ...line, state: 'set', value: server };
}

/** Which calls ring the team's phones: the hourly budget, and who may call (see voice/forward-budget.ts). */
function callsForwarded(config: Config): SettingLine {
  const { limit, callersAllowed } = config.callForwarding;
  const from = callersAllowed ? `callers starting ${callersAllowed.join(', ')}` : 'any caller';
  return { label: 'Calls forwarded', variables: 'CALL_FORWARD_LIMIT, CALLERS_ALLOWED', state: 'set', value: `${limit} an hour at most, from ${from}` };
}

function smsTransport(config: Config): SettingLine {
  const line = { label: 'SMS sent from', variables: 'TWILIO_SMS_FROM' };
  return config.smsViaTwilio
    ? { ...line, state: 'set', value: config.twilio.smsFrom }
    : { ...line, state: 'outbox', value: 'the outbox folder (no real Twilio credentials)' };
}
