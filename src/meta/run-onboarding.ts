import { GraphError, GraphUnavailableError } from './graph-error';
import { codeSteps } from './code-steps';
import { numberSteps } from './number-steps';
import { StepError, STEP_NAMES, type OnboardingDeps, type OnboardingState, type OnboardingStep, type StepName, type StepOutcome } from './onboarding';
import { webhookSteps } from './webhook-steps';

/** How one step went, for the screen and for `--json`. */
export interface StepReport {
  name: StepName;
  title: string;
  status: StepOutcome['status'] | 'failed';
  detail: string;
  /** For a failure: what to do about it. */
  fix?: string;
  /** For a Graph refusal: Meta's code and the catalog's reading of it. */
  graph?: { code: number | null; subcode: number | null; meaning: string; fbtraceId: string | null };
  secret?: StepOutcome['secret'];
}

/** Every step of the onboarding, in `STEP_NAMES` order. */
export function onboardingSteps(deps: OnboardingDeps): OnboardingStep[] {
  const n = numberSteps(deps);
  const c = codeSteps(deps);
  const w = webhookSteps(deps);
  return [n.addNumber, c.requestCode, c.waitForCode, c.verifyCode, n.register, w.subscribeApp, w.setWebhook, n.waitConnected];
}

/**
 * Runs the steps from `from` on, reporting each as it ends, and stops at the first failure: a
 * later step never runs on a half-done earlier one. Returns every report.
 */
export async function runOnboarding(
  steps: OnboardingStep[],
  options: { from?: StepName; onReport?: (report: StepReport) => void },
): Promise<StepReport[]> {
  const first = options.from ? STEP_NAMES.indexOf(options.from) : 0;
  const state: OnboardingState = { phoneNumberId: null, codesBefore: null, code: null, phone: null };
  const reports: StepReport[] = [];
  for (const step of steps.filter((s) => STEP_NAMES.indexOf(s.name) >= first)) {
    const report = await runStep(step, state);
    reports.push(report);
    options.onReport?.(report);
    if (report.status === 'failed') break;
  }
  return reports;
}

async function runStep(step: OnboardingStep, state: OnboardingState): Promise<StepReport> {
  const base = { name: step.name, title: step.title };
  try {
    return { ...base, ...(await step.run(state)) };
  } catch (error) {
    return { ...base, status: 'failed', ...failureOf(error) };
  }
}

function failureOf(error: unknown): Pick<StepReport, 'detail' | 'fix' | 'graph'> {
  if (error instanceof GraphError) {
    const { explained } = error;
    return {
      detail: error.describe(),
      fix: explained.action,
      graph: { code: explained.code, subcode: error.subcode, meaning: explained.meaning, fbtraceId: error.fbtraceId },
    };
  }
  if (error instanceof StepError) return { detail: error.message, fix: error.fix };
  if (error instanceof GraphUnavailableError) {
    return { detail: error.message, fix: 'Check META_GRAPH_URL, the network and any proxy between here and Meta.' };
  }
  return { detail: error instanceof Error ? error.message : String(error), fix: 'See the message above; run `wa-onboard doctor` for a full check.' };
}
