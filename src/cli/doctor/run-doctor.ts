import { ConfigError, type Env } from '../../config';
import { cliConfig, graphFor, twilioClientFor } from '../context';
import { isSet, type Check, type CheckResult, type DoctorContext } from './check';
import { productionConfigCheck } from './config-checks';
import { metaNumberCheck, metaSubscriptionCheck, metaTokenCheck, metaWebhookCheck } from './meta-checks';
import { healthCheck, smtpLoginCheck, voiceSignatureCheck, webhookChallengeCheck, webhookSignatureCheck } from './service-checks';
import { smsSenderCheck, twilioCredentialsCheck, twilioNumberCheck, voiceUrlCheck } from './twilio-checks';

/** The checklist, in the order an operator fixes things: settings, Twilio, the service from outside, Meta. */
export const DOCTOR_CHECKS: Check[] = [
  productionConfigCheck,
  twilioCredentialsCheck,
  twilioNumberCheck,
  voiceUrlCheck,
  smsSenderCheck,
  smtpLoginCheck,
  healthCheck,
  voiceSignatureCheck,
  webhookChallengeCheck,
  webhookSignatureCheck,
  metaTokenCheck,
  metaNumberCheck,
  metaWebhookCheck,
  metaSubscriptionCheck,
];

/**
 * Runs every check in order, one at a time (later ones read what earlier ones learnt), and reports
 * each as it ends. A check that throws is a failure of that line, never the end of the checklist.
 */
export async function runDoctor(env: Env, onResult: (result: CheckResult) => void, checks = DOCTOR_CHECKS): Promise<CheckResult[]> {
  const ctx = contextFor(env);
  for (const check of checks) {
    let finding;
    try {
      finding = await check.run(ctx);
    } catch (error) {
      finding = { status: 'fail' as const, detail: `the check itself failed: ${error instanceof Error ? error.message : String(error)}`, fix: 'Report this as a bug.' };
    }
    const result: CheckResult = { id: check.id, title: check.title, ...finding };
    ctx.results.set(check.id, result);
    onResult(result);
  }
  return [...ctx.results.values()];
}

function contextFor(env: Env): DoctorContext {
  let config = null;
  try {
    config = cliConfig(env);
  } catch (error) {
    // The production check lists the problems; the other checks say they cannot run.
    if (!(error instanceof ConfigError)) throw error;
  }
  const graph = config ? graphFor(config) : null;
  const twilioSet = isSet(env, 'TWILIO_ACCOUNT_SID') && isSet(env, 'TWILIO_AUTH_TOKEN');
  return {
    env,
    config,
    twilio: config && twilioSet ? twilioClientFor(config) : null,
    graph: graph && !('missing' in graph) ? graph : null,
    results: new Map(),
    number: null,
    phone: null,
  };
}
