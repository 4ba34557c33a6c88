import { randomInt } from 'node:crypto';
import { metaLanguage } from '../../meta/phone-number';
import type { OnboardingSettings, StepName } from '../../meta/onboarding';
import { onboardingSteps, runOnboarding, type StepReport } from '../../meta/run-onboarding';
import { appGraphFor, cliConfig, graphFor, serviceApiFor } from '../context';
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
    out.mark('fail', `${graph.missing} is not set`, undefined, "Create a system user token with whatsapp_business_management in Meta's Business settings and set META_ACCESS_TOKEN.");
    out.result({ ok: false, steps: [], error: `${graph.missing} is not set` });
    return 1;
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
    pin: options.pin ?? null,
    code: options.code ?? null,
    codeTimeoutMs: options.timeout * 1000,
    connectTimeoutMs: options.connectTimeout * 1000,
  };
  const api = serviceApiFor(config, options.url);
  const steps = onboardingSteps({
    graph,
    appGraph: appGraphFor(config),
    codes: { known: () => api.codes(20) },
    wait: createWaiter({ stream: io.stderr, pollMs: io.pollMs ?? 2000, quiet: out.json }),
    settings,
    newPin: () => String(randomInt(0, 1_000_000)).padStart(6, '0'),
  });

  out.line(`Onboarding ${settings.phoneNumber} with Meta (Graph ${config.meta.graphVersion})${options.from ? `, from ${options.from}` : ''}:`);
  const reports = await runOnboarding(steps, {
    from: options.from,
    onReport: (report) => show(out, report),
  });
  const failed = reports.find((r) => r.status === 'failed');
  out.line('');
  out.line(
    failed
      ? `Stopped at ${failed.name}. Fix it, then resume with: wa-onboard meta verify --from ${failed.name}`
      : `${settings.phoneNumber} is registered and its webhook points at ${settings.callbackUrl}.`,
  );
  out.result({ ok: !failed, phoneNumber: settings.phoneNumber, steps: reports });
  return failed ? 1 : 0;
}

function show(out: CommandContext['out'], report: StepReport): void {
  const mark = report.status === 'done' ? 'pass' : report.status === 'skipped' ? 'skip' : 'fail';
  out.mark(mark, report.name, report.detail, report.fix);
  if (report.graph) out.line(`    meaning: ${report.graph.meaning}${report.graph.fbtraceId ? out.dim(` (fbtrace_id ${report.graph.fbtraceId})`) : ''}`);
  if (report.secret) out.line(`    ${report.secret.label}: ${out.strong(report.secret.value)}`);
}
