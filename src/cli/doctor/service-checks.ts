import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { createSmtpMailer } from '../../delivery/smtp-mailer';
import { checkSubscription, postToWebhook } from '../../embedded/simulated-meta-webhook';
import { whyFetchFailed } from '../../http/fetch-failure';
import { isLoopbackUrl } from '../../loopback';
import { fail, pass, skip, type Check } from './check';

/** What to do when PUBLIC_URL does not answer: start the service, or open the way to it. */
function reachFix(publicUrl: string): string {
  return isLoopbackUrl(publicUrl)
    ? 'Start the service (npm start), or set PUBLIC_URL to where it runs.'
    : 'Make PUBLIC_URL reach the running service from the internet: DNS, TLS certificate, proxy route and firewall.';
}

export const smtpLoginCheck: Check = {
  id: 'smtp-login',
  title: 'The SMTP server accepts our login',
  async run(ctx) {
    if (!ctx.config?.smtp) return skip('SMTP_URL is not set: emails go to the outbox');
    const mailer = createSmtpMailer({ ...ctx.config.smtp, timeouts: { connectionMs: 10_000, greetingMs: 10_000, socketMs: 15_000 } });
    try {
      await mailer.verify();
      return pass(hostOf(ctx.config.smtp.url));
    } catch (error) {
      const { responseCode, message } = error as { responseCode?: number; message?: string };
      return fail(
        `${hostOf(ctx.config.smtp.url)}: ${message ?? String(error)}`,
        responseCode === 535 || responseCode === 534
          ? "Fix the user and password in SMTP_URL (some providers want an app password)."
          : 'Check the host, port and scheme of SMTP_URL (smtps:// for port 465, smtp:// with STARTTLS for 587).',
      );
    } finally {
      mailer.close();
    }
  },
};

export const healthCheck: Check = {
  id: 'healthz',
  title: 'The service answers at PUBLIC_URL',
  async run(ctx) {
    if (!ctx.config) return skip('the configuration does not load');
    const url = `${ctx.config.publicUrl}/healthz`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      if (res.ok && body.includes('"ok"')) return pass(`GET ${url}: ${res.status}`);
      return fail(`GET ${url} answered ${res.status}, not wa-onboard's health`, reachFix(ctx.config.publicUrl));
    } catch (error) {
      return fail(`GET ${url}: ${whyFetchFailed(error)}`, reachFix(ctx.config.publicUrl));
    }
  },
};

/**
 * Twilio's own request, signed as Twilio signs it, sent to PUBLIC_URL: a proxy that rewrites the
 * path or scheme, or a PUBLIC_URL that differs from the service's, fails here rather than on
 * Meta's call. The probe flag makes the service answer without recording a call.
 */
export const voiceSignatureCheck: Check = {
  id: 'voice-signature',
  title: 'A Twilio-signed call to PUBLIC_URL gets TwiML that listens',
  async run(ctx) {
    if (!ctx.config) return skip('the configuration does not load');
    const { publicUrl, twilio: t } = ctx.config;
    const url = `${publicUrl}/twilio/voice`;
    const params = {
      CallSid: `CA${randomBytes(16).toString('hex')}`,
      AccountSid: t.accountSid,
      From: '+15005550000',
      To: t.phoneNumber,
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
      WaOnboardProbe: 'doctor',
    };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(t.authToken, url, params) },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.text();
      if (res.status === 403) {
        return fail(
          `POST ${url} was refused (403): the service computed another signature`,
          "Give the service the same PUBLIC_URL and TWILIO_AUTH_TOKEN as here, and make the proxy pass the path and query through unchanged.",
        );
      }
      if (res.status !== 200) return fail(`POST ${url} answered ${res.status}`, "Read the service's log for this request.");
      if (!/<Gather\b/.test(body)) return fail(`POST ${url} answered 200 without a <Gather>`, 'PUBLIC_URL leads to something other than wa-onboard: check the proxy route.');
      const input = /<Gather\b[^>]*\sinput="([^"]*)"/.exec(body)?.[1];
      return pass(`POST ${url}: 200, TwiML with <Gather${input ? ` input="${input}"` : ''}>`);
    } catch (error) {
      return fail(`POST ${url}: ${whyFetchFailed(error)}`, reachFix(ctx.config.publicUrl));
    }
  },
};

export const webhookChallengeCheck: Check = {
  id: 'webhook-challenge',
  title: "The webhook answers Meta's challenge with our verify token",
  async run(ctx) {
    if (!ctx.config) return skip('the configuration does not load');
    const url = `${ctx.config.publicUrl}/webhooks/whatsapp`;
    try {
      // Marked as a rehearsal: the service answers it as Meta's, but never records it as Meta's verification.
      const { status, echoed } = await checkSubscription(ctx.config.publicUrl, ctx.config.whatsapp.verifyToken, { rehearsal: true });
      if (status === 200 && echoed) return pass(`GET ${url}: the challenge came back as sent (a rehearsal, not recorded as Meta's check)`);
      if (status === 403) return fail(`GET ${url} refused our verify token (403)`, 'Give the service the same WHATSAPP_VERIFY_TOKEN as here.');
      return fail(`GET ${url} answered ${status}${status === 200 ? ' but not with the challenge' : ''}`, "Check the proxy route to /webhooks/whatsapp; it must pass the query and the body unchanged.");
    } catch (error) {
      return fail(`GET ${url}: ${whyFetchFailed(error)}`, reachFix(ctx.config.publicUrl));
    }
  },
};

/**
 * An empty batch, signed as Meta signs and marked as a rehearsal: it proves the signature check and
 * the store, reaches no receiver, and counts as none of Meta's POSTs.
 */
export const webhookSignatureCheck: Check = {
  id: 'webhook-signature',
  title: 'The webhook accepts an event signed with our app secret',
  async run(ctx) {
    if (!ctx.config) return skip('the configuration does not load');
    const url = `${ctx.config.publicUrl}/webhooks/whatsapp`;
    const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    try {
      const res = await postToWebhook(ctx.config.publicUrl, ctx.config.whatsapp.appSecrets[0] ?? '', body, { rehearsal: true });
      if (res.status === 200) return pass(`POST ${url}: 200 (an empty batch, stored as a rehearsal and acknowledged)`);
      if (res.status === 401) {
        return fail(`POST ${url} refused the signature (401)`, "Give the service the same WHATSAPP_APP_SECRET as here, and make the proxy pass the body through byte for byte.");
      }
      return fail(`POST ${url} answered ${res.status}`, "Read the service's log for this request.");
    } catch (error) {
      return fail(`POST ${url}: ${whyFetchFailed(error)}`, reachFix(ctx.config.publicUrl));
    }
  },
};

/** `smtp://user:pass@host:587` → `host:587`: never print the password. */
function hostOf(url: string): string {
  try {
    const { host } = new URL(url);
    return host;
  } catch {
    return 'SMTP_URL';
  }
}
