import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config';
import { startEventReceiver, type EventReceiver } from '../embedded/event-receiver';
import { startFakeTwilioApi } from '../embedded/fake-twilio-api';
import { onFreePort } from '../embedded/free-port';
import { startLocalSmtpServer } from '../embedded/local-smtp-server';
import { checkSubscription, postToWebhook, sampleMessagePayload } from '../embedded/simulated-meta-webhook';
import { simulateTwilioCall, type CallStep } from '../embedded/simulated-twilio-call';
import { createLogger, logFormatFor } from '../observability/logger';
import { createService } from '../service';
import { DEMO_USAGE, parseDemoArguments } from './arguments';
import { extractCode } from '../voice/extract-code';
import type { CodeView } from '../store/call-store';
import type { WhatsAppEvent } from '../whatsapp/event';
import { signPayload } from '../whatsapp/sign';

/**
 * The main job on embedded parts: the real service on a free loopback port, a temporary SQLite,
 * a real SMTP server, a stand-in for Twilio's REST API and a team's event endpoint on loopback;
 * Meta's verification call played as Twilio would play it, then Meta's webhook as Meta would
 * send it. No account, no network.
 */
async function demo(given: string | undefined): Promise<boolean> {
  const random = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const speech = given ?? `Your WhatsApp verification code is ${spaced(random)}. Again, your code is ${spaced(random)}.`;
  // With --speech, the code to expect is whatever a careful listener hears in it (maybe none).
  const code = given === undefined ? random : extractCode(given, { length: 6, language: 'en-US' });
  const account = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-onboard-demo-'));
  const smtp = await startLocalSmtpServer();
  const twilioApi = await startFakeTwilioApi(account);
  const receiver = await startEventReceiver();
  const { config, service, url } = await onFreePort(async (port) => {
    const config = demoConfig({ port, dataDir, account, smtpUrl: smtp.url, twilioApiUrl: twilioApi.url, forwardUrl: receiver.url });
    const logger = createLogger({ level: config.logLevel, format: logFormatFor('auto', process.stdout.isTTY === true) });
    const service = await createService(config, { logger });
    try {
      return { config, service, ...(await service.listen(port, '127.0.0.1')) };
    } catch (error) {
      await service.close();
      throw error;
    }
  });
  try {
    say(`1. wa-onboard is listening on ${url} (data in ${dataDir})`);
    say(`   embedded SMTP server: ${smtp.url.replace(/\/\/[^@]*@/, '//')}; Twilio API stand-in: ${twilioApi.url}`);
    say(`2. Meta's robot calls ${config.twilio.phoneNumber} and says: "${speech}"`);
    await simulateTwilioCall({
      serviceUrl: url,
      publicUrl: config.publicUrl,
      ...account,
      from: '+16505550100',
      to: config.twilio.phoneNumber,
      speech,
      onStep: printStep,
    });
    const codes = (await (
      await fetch(`${url}/api/codes`, { headers: { authorization: `Bearer ${config.adminToken}` } })
    ).json()) as { codes: CodeView[] };
    const heard = codes.codes[0];
    say(`3. The service heard: ${heard ? `${heard.code} (by ${heard.source})` : 'nothing'}`);
    if (code === null) {
      say(heard ? `FAILED: "${speech}" holds no code, yet ${heard.code} was captured.` : 'OK: no code in that speech, and none was captured.');
      return !heard;
    }
    const [email] = await smtp.waitFor(1);
    const [sms] = await twilioApi.waitForMessages(1);
    say(`4. Email received by the SMTP server, to ${email?.to.join(', ')}:`);
    say(indent(`Subject: ${email?.subject}\n\n${email?.text.trim()}`));
    say(`5. SMS received by the Twilio API stand-in, to ${sms?.to} from ${sms?.from}:`);
    say(indent(sms?.body ?? ''));
    const ok = heard?.code === code && Boolean(email?.text.includes(code)) && Boolean(sms?.body.includes(code));
    say(ok ? `OK: code ${code} captured and delivered by email and SMS.` : `FAILED: expected code ${code}.`);
    return ok && (await webhookDemo(url, config, receiver));
  } finally {
    await service.close();
    await Promise.all([smtp.close(), twilioApi.close(), receiver.close()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Once the number is registered: Meta checks the webhook, then posts a message and a status. */
async function webhookDemo(url: string, config: Config, receiver: EventReceiver): Promise<boolean> {
  const check = await checkSubscription(url, config.whatsapp.verifyToken);
  say(`6. Meta checks ${config.publicUrl}/webhooks/whatsapp: ${check.status}, challenge ${check.echoed ? 'echoed' : 'NOT echoed'}`);
  const body = sampleMessagePayload({ text: 'Olá! Is my order on its way? 📦' });
  const res = await postToWebhook(url, config.whatsapp.appSecrets[0] ?? '', body);
  say(`7. Meta POSTs a message and a status (${body.length} bytes, signed): ${res.status}`);
  const forwarded = await receiver.waitForEvents(2);
  say(`8. Forwarded to ${receiver.url}, each signed with FORWARD_SECRET:`);
  let signed = true;
  for (const got of forwarded) {
    const event = JSON.parse(got.body) as WhatsAppEvent;
    signed &&= got.signature === signPayload(config.forward.secret ?? '', got.body);
    say(`   ${event.kind} ${event.type} from ${event.phoneNumberId} (Idempotency-Key ${got.idempotencyKey})`);
  }
  const ok = check.status === 200 && check.echoed && res.status === 200 && signed;
  say(ok ? 'OK: the webhook verified, stored and forwarded both events.' : 'FAILED: the webhook part did not go through.');
  return ok;
}

/** The service's configuration on the embedded parts, as an operator's environment would give it. */
function demoConfig(parts: {
  port: number;
  dataDir: string;
  account: { accountSid: string; authToken: string };
  smtpUrl: string;
  twilioApiUrl: string;
  forwardUrl: string;
}): Config {
  const env = {
    PORT: String(parts.port),
    PUBLIC_URL: `http://127.0.0.1:${parts.port}`,
    DATA_DIR: parts.dataDir,
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    TWILIO_ACCOUNT_SID: parts.account.accountSid,
    TWILIO_AUTH_TOKEN: parts.account.authToken,
    TWILIO_PHONE_NUMBER: '+15005550006',
    TWILIO_API_BASE_URL: parts.twilioApiUrl,
    NOTIFY_EMAIL_TO: 'team@example.com',
    NOTIFY_SMS_TO: '+15005550001',
    SMTP_URL: parts.smtpUrl,
    EMAIL_FROM: 'wa-onboard <onboard@example.com>',
    WHATSAPP_VERIFY_TOKEN: randomBytes(12).toString('base64url'),
    WHATSAPP_APP_SECRET: randomBytes(16).toString('hex'),
    FORWARD_URL: parts.forwardUrl,
    FORWARD_SECRET: randomBytes(16).toString('hex'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  return loadConfig(env, () => {
    throw new Error('the demo sets every secret');
  }).config;
}

function printStep(step: CallStep): void {
  const heard = step.params.SpeechResult ?? step.params.Digits;
  say(`   Twilio → POST ${step.path}${heard ? ` (SpeechResult "${heard}")` : ''}`);
  say(`   ← ${step.status} TwiML:`);
  say(indent(step.twiml.replace(/></g, '>\n<'), 6));
}

const spaced = (code: string) => code.split('').join(' ');
const indent = (text: string, by = 6) => text.replace(/^/gm, ' '.repeat(by));
const say = (line: string) => process.stdout.write(`${line}\n`);

const args = parseDemoArguments(process.argv.slice(2));
if (args.run) {
  demo(args.speech).then(
    (ok) => process.exit(ok ? 0 : 1),
    (error: unknown) => {
      process.stderr.write(`demo failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
} else if (args.help) {
  process.stdout.write(DEMO_USAGE);
} else {
  process.stderr.write(`demo: ${args.problem}\n\n${DEMO_USAGE}`);
  process.exitCode = 2;
}
