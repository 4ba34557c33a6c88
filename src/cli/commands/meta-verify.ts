import path from 'node:path';
import type { Config } from '../../config';
import { makePrivateDirSync, writePrivateFileSync } from '../../data-dir/private-files';
import { digitsOf, metaLanguage } from '../../meta/phone-number';
import { sixDigits } from '../../meta/six-digits';
import { findIncomingNumber, voiceSettingProblems } from '../../voice/voice-webhook-setting';
import { isSet } from '../doctor/check';
import { STEP_NAMES, type OnboardingSettings, type StepName } from '../../meta/onboarding';
import { onboardingSteps, runOnboarding, type StepReport } from '../../meta/run-onboarding';
import { appGraphFor, cliConfig, graphFor, serviceApiFor, twilioClientFor } from '../context';
import { createWaiter } from '../progress';
import type { CommandContext } from './command-context';

export interface MetaVerifyOptions {
  from?: StepName;
  wabaId?: string;
  verifiedName?: string;
  language?: string;
  pin?: string;
  code?: string;
  webhook?: 'app' | 'number';
  force?: boolean;
  /** Where the service listens, to read the code it captures (default PUBLIC_URL). */
  url?: string;
  /** Seconds to wait for the call's code. */
  timeout: number;
  /** Seconds to wait for CONNECTED. */
  connectTimeout: number;
}

/**
 * `wa-onboard meta verify`: the whole onboarding through Meta's Graph API, each step shown as it
 * ends. The code comes from the running service, which hears Meta's call; nothing is typed in.
 */
export async function metaVerifyCommand({ env, out, io }: CommandContext, options: MetaVerifyOptions): Promise<number> {
  const config = cliConfig(env);
  const graph = graphFor(config);
  if ('missing' in graph) {
    return refuse(out, `${graph.missing} is not set`, "Create a system user token with whatsapp_business_management in Meta's Business settings and set META_ACCESS_TOKEN.");
  }
  const settings: OnboardingSettings = {
    phoneNumber: config.twilio.phoneNumber,
    wabaId: options.wabaId ?? config.meta.wabaId,
    phoneNumberId: config.meta.phoneNumberId,
    appId: config.meta.appId,
    verifiedName: options.verifiedName ?? null,
    language: metaLanguage(options.language ?? config.voiceLanguage),
    callbackUrl: `${config.publicUrl}/webhooks/whatsapp`,
    verifyToken: config.whatsapp.verifyToken,
    webhook: options.webhook ?? (config.meta.appId ? 'app' : 'number'),
    moveAppWebhook: options.force === true,
    pin: options.pin ?? null,
    code: options.code ?? null,
    codeTimeoutMs: options.timeout * 1000,
    connectTimeoutMs: options.connectTimeout * 1000,
  };
  // Settings later steps need are checked now, not after a call or a registration was spent.
  const missing = missingFor(settings, options.from);
  if (missing) return refuse(out, missing.message, missing.fix);
  // Meta speaks the language asked for; the service's Gather listens in VOICE_LANGUAGE.
  if (baseLanguage(settings.language) !== baseLanguage(config.voiceLanguage)) {
    return refuse(
      out,
      `Meta would speak ${settings.language}, but the service listens in ${config.voiceLanguage}`,
      'Set VOICE_LANGUAGE to the same language on the service (and here), or drop --language.',
    );
  }
  const api = serviceApiFor(config, options.url);
  const steps = onboardingSteps({
    graph,
    appGraph: appGraphFor(config),
    codes: { known: () => api.codes(20) },
    wait: createWaiter({ stream: io.stderr, pollMs: io.pollMs ?? 2000, quiet: out.json }),
    settings,
    newPin: sixDigits,
    voiceRouteProblems: () => voiceRouteProblems(env, config),
    now: () => new Date(),
  });

  out.line(`Onboarding ${settings.phoneNumber} with Meta (Graph ${config.meta.graphVersion})${options.from ? `, from ${options.from}` : ''}:`);
  const reports = await runOnboarding(steps, {
    from: options.from,
    onReport: (report) => show(out, keepSecret(report, config, io.stdout.isTTY === true && !out.json)),
  });
  const failed = reports.find((r) => r.status === 'failed');
  out.line('');
  // A failure whose fix names its own way on (--from ...) is not given a second, different one.
  out.line(
    !failed
      ? `${settings.phoneNumber} is registered and its webhook points at ${settings.callbackUrl}.`
      : failed.fix?.includes('--from')
        ? `Stopped at ${failed.name}.`
        : `Stopped at ${failed.name}. Fix it, then resume with: wa-onboard meta verify --from ${failed.name}`,
  );
  out.result({ ok: !failed, phoneNumber: settings.phoneNumber, steps: reports });
  return failed ? 1 : 0;
}

/** Why Meta's call would not reach the service, as Twilio's settings tell; nothing when Twilio is not configured here. */
async function voiceRouteProblems(env: CommandContext['env'], config: Config): Promise<string[]> {
  if (!isSet(env, 'TWILIO_ACCOUNT_SID') || !isSet(env, 'TWILIO_AUTH_TOKEN')) return [];
  const number = await findIncomingNumber(twilioClientFor(config), config.twilio.phoneNumber);
  if (!number) return [`${config.twilio.phoneNumber} is not on Twilio account ${config.twilio.accountSid}`];
  return voiceSettingProblems(number, `${config.publicUrl}/twilio/voice`);
}

/**
 * A generated PIN is written to a file only its owner can read; the screen shows it only on a
 * terminal, so it never lands in a CI log or a JSON file by accident.
 */
function keepSecret(report: StepReport, config: Config, onTerminal: boolean): StepReport {
  if (!report.secret) return report;
  makePrivateDirSync(config.dataDir);
  const file = path.join(config.dataDir, `two-step-pin-${digitsOf(config.twilio.phoneNumber)}.txt`);
  writePrivateFileSync(file, `${report.secret.value}\n`);
  return { ...report, secret: { label: report.secret.label, value: onTerminal ? report.secret.value : `written to ${file}`, file } };
}

/** Stops before any step ran: nothing was asked of Meta. */
function refuse(out: CommandContext['out'], message: string, fix: string): number {
  out.mark('fail', message, undefined, fix);
  out.result({ ok: false, steps: [], error: message });
  return 1;
}

function missingFor(settings: OnboardingSettings, from: StepName | undefined): { message: string; fix: string } | null {
  const runs = (step: StepName) => STEP_NAMES.indexOf(step) >= STEP_NAMES.indexOf(from ?? 'add-number');
  if (runs('subscribe-app') && !settings.wabaId) {
    return { message: 'META_WABA_ID is not set: the app cannot be subscribed to the WABA', fix: 'Set META_WABA_ID (or pass --waba-id).' };
  }
  if (runs('set-webhook') && settings.webhook === 'app' && !settings.appId) {
    return { message: '--webhook app needs META_APP_ID', fix: 'Set META_APP_ID, or use --webhook number.' };
  }
  return null;
}

function baseLanguage(tag: string): string {
  return tag.split(/[-_]/)[0]?.toLowerCase() ?? tag;
}

function show(out: CommandContext['out'], report: StepReport): void {
  const mark = report.status === 'done' ? 'pass' : report.status === 'skipped' ? 'skip' : 'fail';
  out.mark(mark, report.name, report.detail, report.fix);
  if (report.graph) out.line(`    meaning: ${report.graph.meaning}${report.graph.fbtraceId ? out.dim(` (fbtrace_id ${report.graph.fbtraceId})`) : ''}`);
  if (report.secret) out.line(`    ${report.secret.label}: ${out.strong(report.secret.value)}`);
}
