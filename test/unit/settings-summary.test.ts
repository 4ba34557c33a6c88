import type { Env } from '../../src/config';
import { summarizeSettings, type SettingLine, type SettingsSummary } from '../../src/page/settings-summary';
import { configOf, GENERATED, NUMBER, PRODUCTION as VALID_PRODUCTION, settingsOf, without } from '../helpers/page-fixtures';

// Every secret is distinctive, so finding it anywhere in the summary is a leak.
const ADMIN_TOKEN = 'admin-token-LEAK-0123456789';
const AUTH_TOKEN = 'auth-token-LEAK-0123456789abcdef';
const VERIFY_TOKEN = 'verify-token-LEAK-0123';
const APP_SECRET = 'app-secret-LEAK-0123456789abcdef';
const PREVIOUS_APP_SECRET = 'previous-app-secret-LEAK-0123456789';
const SMTP_PASSWORD = 'smtp-password-LEAK';
const META_ACCESS_TOKEN = 'meta-access-token-LEAK-0123456789';
const FORWARD_SECRET = 'forward-secret-LEAK-0123456789';
const FORWARD_USER = 'forward-user-LEAK';
const FORWARD_PASSWORD = 'forward-password-LEAK';
const FORWARD_PATH_SECRET = 'forward-path-LEAK-0123456789';
const FORWARD_QUERY_TOKEN = 'forward-token-LEAK-0123456789';

/** The shared production environment with every secret distinctive, plus each optional secret the summary might be tempted to show. */
const PRODUCTION: Env = {
  ...VALID_PRODUCTION,
  ADMIN_TOKEN,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_SMS_FROM: '+14155550100',
  SMTP_URL: `smtp://mailer:${SMTP_PASSWORD}@smtp.example.com:587`,
  WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
  WHATSAPP_APP_SECRET: APP_SECRET,
  WHATSAPP_APP_SECRET_PREVIOUS: PREVIOUS_APP_SECRET,
  META_ACCESS_TOKEN,
  FORWARD_URL: [
    `https://${FORWARD_USER}:${FORWARD_PASSWORD}@hooks.example.com/x`,
    `https://hooks.slack.example/services/T0/B0/${FORWARD_PATH_SECRET}`,
    `https://other.example.com:8443/in?token=${FORWARD_QUERY_TOKEN}`,
    'https://root.example.com/',
  ].join(', '),
  FORWARD_SECRET,
};

/** Local mode with nothing set but where the codes go. */
const LOCAL_BARE: Env = { DATA_DIR: '/tmp/wa-onboard-test', NOTIFY_EMAIL_TO: 'ops@example.com', NOTIFY_SMS_TO: '+14155550199' };

/** The line of `summary` for `variables` (as the line names them). */
function lineOf(summary: SettingsSummary, variables: string): SettingLine {
  const line = summary.lines.find((l) => l.variables === variables);
  if (!line) throw new Error(`no line for ${variables}; lines: ${summary.lines.map((l) => l.variables).join(' | ')}`);
  return line;
}

// ---------------------------------------------------------------------------------------------

describe('summarizeSettings keeps secrets secret', () => {
  const shown = JSON.stringify(settingsOf(PRODUCTION));

  it.each([
    ['the admin token', ADMIN_TOKEN],
    ["Twilio's auth token", AUTH_TOKEN],
    ['the webhook verify token', VERIFY_TOKEN],
    ['the Meta app secret', APP_SECRET],
    ['the previous Meta app secret', PREVIOUS_APP_SECRET],
    ['the SMTP password', SMTP_PASSWORD],
    ['META_ACCESS_TOKEN', META_ACCESS_TOKEN],
    ['FORWARD_SECRET', FORWARD_SECRET],
    ["the user inside a FORWARD_URL", FORWARD_USER],
    ["the password inside a FORWARD_URL", FORWARD_PASSWORD],
    ["the secret path of a FORWARD_URL", FORWARD_PATH_SECRET],
    ["the token in a FORWARD_URL's query", FORWARD_QUERY_TOKEN],
  ])('never shows %s', (_what, secret) => {
    expect(shown).not.toContain(secret);
  });

  it('never shows a generated secret, only that it was generated', () => {
    const summary = settingsOf(LOCAL_BARE);
    const text = JSON.stringify(summary);

    for (const value of [GENERATED.ADMIN_TOKEN, GENERATED.TWILIO_AUTH_TOKEN, GENERATED.WHATSAPP_VERIFY_TOKEN, GENERATED.WHATSAPP_APP_SECRET]) {
      expect(text).not.toContain(value);
    }
    for (const variables of ['TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN', 'WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_APP_SECRET', 'ADMIN_TOKEN']) {
      expect(lineOf(summary, variables)).toMatchObject({ state: 'generated', value: 'generated for local use' });
    }
  });

  it('calls the Twilio credentials generated when only the account SID was generated', () => {
    const summary = settingsOf({ TWILIO_AUTH_TOKEN: 'f'.repeat(32) });

    expect(lineOf(summary, 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN')).toMatchObject({ state: 'generated' });
  });

  it('shows secrets set in the environment only as set', () => {
    const summary = settingsOf(PRODUCTION);

    for (const variables of ['TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN', 'WHATSAPP_VERIFY_TOKEN', 'ADMIN_TOKEN', 'META_ACCESS_TOKEN']) {
      expect(lineOf(summary, variables)).toMatchObject({ state: 'set', value: 'set' });
    }
  });
});

describe('summarizeSettings', () => {
  it('gives the mode, the public URL and the number being registered', () => {
    const summary = settingsOf(PRODUCTION);

    expect(summary.mode).toBe('production');
    expect(summary.publicUrl).toBe('https://onboard.example.com');
    expect(lineOf(summary, 'TWILIO_PHONE_NUMBER')).toMatchObject({ state: 'set', value: NUMBER });
  });

  it('gives the number being registered as its own field, for the page to use without reading the lines', () => {
    expect(settingsOf(PRODUCTION).number).toBe(NUMBER);
  });

  it("links recordings on Twilio's API host only, by default", () => {
    expect(settingsOf(PRODUCTION).recordingHosts).toEqual(['api.twilio.com']);
  });

  it("adds the host and port of TWILIO_API_BASE_URL to the recording hosts", () => {
    const summary = settingsOf({ ...PRODUCTION, TWILIO_API_BASE_URL: 'https://twilio-proxy.example.net:8443/base/' });

    expect(summary.recordingHosts).toEqual(['api.twilio.com', 'twilio-proxy.example.net:8443']);
  });

  it('shows the SMTP server as host:port only', () => {
    expect(lineOf(settingsOf(PRODUCTION), 'SMTP_URL')).toEqual({
      label: 'Email goes through',
      variables: 'SMTP_URL',
      state: 'set',
      value: 'smtp.example.com:587',
    });
  });

  it('shows an SMTP server without a port as its host alone', () => {
    const summary = settingsOf({ ...PRODUCTION, SMTP_URL: `smtps://mailer:${SMTP_PASSWORD}@smtp.example.com` });

    expect(lineOf(summary, 'SMTP_URL').value).toBe('smtp.example.com');
  });

  it('stays vague about an SMTP URL it cannot parse, which may hold the password', () => {
    // Accepted by the schema (smtps?://\S+), refused by URL: port out of range.
    const summary = settingsOf({ ...PRODUCTION, SMTP_URL: `smtp://mailer:${SMTP_PASSWORD}@smtp.example.com:99999` });

    expect(lineOf(summary, 'SMTP_URL')).toMatchObject({ state: 'set', value: 'an SMTP server' });
    expect(JSON.stringify(summary)).not.toContain(SMTP_PASSWORD);
  });

  it('says email goes to the outbox when local mode has no SMTP_URL', () => {
    expect(lineOf(settingsOf(LOCAL_BARE), 'SMTP_URL')).toMatchObject({ state: 'outbox', value: 'the outbox folder' });
  });

  it('leaves out the email transport when nobody gets email', () => {
    const summary = settingsOf(without(PRODUCTION, 'NOTIFY_EMAIL_TO', 'SMTP_URL', 'EMAIL_FROM'));

    expect(summary.lines.map((l) => l.variables)).not.toContain('SMTP_URL');
  });

  it('shows the SMS sender when SMS go through Twilio', () => {
    expect(lineOf(settingsOf(PRODUCTION), 'TWILIO_SMS_FROM')).toMatchObject({ state: 'set', value: '+14155550100' });
  });

  it('says SMS go to the outbox without real Twilio credentials', () => {
    const line = lineOf(settingsOf(LOCAL_BARE), 'TWILIO_SMS_FROM');

    expect(line.state).toBe('outbox');
    expect(line.value).toContain('outbox');
  });

  it('lists the recipients of each channel', () => {
    const summary = settingsOf(PRODUCTION);

    expect(lineOf(summary, 'NOTIFY_EMAIL_TO')).toMatchObject({ state: 'set', value: 'ops@example.com, owner@example.com' });
    expect(lineOf(summary, 'NOTIFY_SMS_TO')).toMatchObject({ state: 'set', value: '+14155550199, +447700900123' });
  });

  it('takes a channel without recipients as optional when the other has some', () => {
    const summary = settingsOf(without(PRODUCTION, 'NOTIFY_SMS_TO'));

    expect(lineOf(summary, 'NOTIFY_SMS_TO')).toMatchObject({ state: 'optional', value: 'nobody' });
    expect(summary.lines.map((l) => l.variables)).not.toContain('TWILIO_SMS_FROM');
  });

  it('marks both channels missing when nobody gets the codes', () => {
    const summary = settingsOf({ DATA_DIR: '/tmp/wa-onboard-test' });

    expect(lineOf(summary, 'NOTIFY_EMAIL_TO').state).toBe('missing');
    expect(lineOf(summary, 'NOTIFY_SMS_TO').state).toBe('missing');
  });

  it('mentions the previous app secret while rotating', () => {
    expect(lineOf(settingsOf(PRODUCTION), 'WHATSAPP_APP_SECRET')).toMatchObject({
      state: 'set',
      value: 'set, and the previous one while rotating',
    });
  });

  it('shows a single app secret as set', () => {
    expect(lineOf(settingsOf(without(PRODUCTION, 'WHATSAPP_APP_SECRET_PREVIOUS')), 'WHATSAPP_APP_SECRET').value).toBe('set');
  });

  it('takes an unset META_ACCESS_TOKEN as optional', () => {
    expect(lineOf(settingsOf(without(PRODUCTION, 'META_ACCESS_TOKEN')), 'META_ACCESS_TOKEN')).toMatchObject({
      state: 'optional',
      value: 'not set',
    });
  });

  it('shows forward targets by their origin only, with /… and a short id where a path or query was cut', () => {
    const line = lineOf(settingsOf(PRODUCTION), 'FORWARD_URL');
    expect(line.state).toBe('set');
    expect(line.value).toMatch(
      /^https:\/\/hooks\.example\.com\/…\[[0-9a-f]{6}\], https:\/\/hooks\.slack\.example\/…\[[0-9a-f]{6}\], https:\/\/other\.example\.com:8443\/…\[[0-9a-f]{6}\], https:\/\/root\.example\.com$/,
    );
  });

  it('says how many calls an hour are forwarded, and from whom', () => {
    expect(lineOf(settingsOf(PRODUCTION), 'CALL_FORWARD_LIMIT, CALLERS_ALLOWED')).toEqual({
      label: 'Calls forwarded',
      variables: 'CALL_FORWARD_LIMIT, CALLERS_ALLOWED',
      state: 'set',
      value: '10 an hour at most, from any caller',
    });
    const limited = settingsOf({ ...PRODUCTION, CALL_FORWARD_LIMIT: '3', CALLERS_ALLOWED: '+1650,+44' });
    expect(lineOf(limited, 'CALL_FORWARD_LIMIT, CALLERS_ALLOWED').value).toBe('3 an hour at most, from callers starting +1650, +44');
  });

  it('takes no forwarding as a choice: optional, events stored only', () => {
    const summary = settingsOf(without(PRODUCTION, 'FORWARD_URL', 'FORWARD_SECRET'));

    expect(lineOf(summary, 'FORWARD_URL')).toMatchObject({ state: 'optional', value: 'nowhere (stored only)' });
  });

  it('says FORWARD_SECRET is set, right after the forward targets, when events are forwarded', () => {
    const summary = settingsOf(PRODUCTION);
    const variables = summary.lines.map((l) => l.variables);

    expect(lineOf(summary, 'FORWARD_SECRET')).toEqual({
      label: 'Forwarded events signed with',
      variables: 'FORWARD_SECRET',
      state: 'set',
      value: 'set',
    });
    expect(variables.indexOf('FORWARD_SECRET')).toBe(variables.indexOf('FORWARD_URL') + 1);
  });

  it('marks FORWARD_SECRET missing when forwarding has no secret to sign with', () => {
    // loadConfig refuses this; a Config built another way may still carry it.
    const config = configOf(PRODUCTION);
    const summary = summarizeSettings({ ...config, forward: { ...config.forward, secret: null } });

    expect(lineOf(summary, 'FORWARD_SECRET')).toMatchObject({ state: 'missing', value: 'not set: nothing is forwarded' });
  });

  it('leaves out FORWARD_SECRET when nothing is forwarded', () => {
    const summary = settingsOf(without(PRODUCTION, 'FORWARD_URL', 'FORWARD_SECRET'));

    expect(summary.lines.map((l) => l.variables)).not.toContain('FORWARD_SECRET');
  });

  it('shows the signature checks as checked in production', () => {
    const summary = settingsOf(PRODUCTION);

    expect(lineOf(summary, 'TWILIO_SIGNATURE_CHECK')).toMatchObject({ state: 'on', value: 'checked' });
    expect(lineOf(summary, 'WHATSAPP_SIGNATURE_CHECK')).toMatchObject({ state: 'on', value: 'checked' });
  });

  it('shows a signature check turned off in local mode as off', () => {
    const summary = settingsOf({ ...LOCAL_BARE, WHATSAPP_SIGNATURE_CHECK: 'off' });

    expect(lineOf(summary, 'WHATSAPP_SIGNATURE_CHECK')).toMatchObject({ state: 'off', value: 'not checked' });
    expect(lineOf(summary, 'TWILIO_SIGNATURE_CHECK').state).toBe('on');
  });
});
