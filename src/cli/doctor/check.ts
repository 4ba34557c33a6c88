import type twilio from 'twilio';
import type { Config, Env } from '../../config';
import type { GraphClient } from '../../meta/graph-client';
import type { PhoneNumberState } from '../../meta/phone-numbers';
import type { IncomingNumber } from '../../voice/voice-webhook-setting';

/** One line of the checklist: passed, failed with the fix in one sentence, or skipped with why. */
export interface CheckResult {
  id: string;
  title: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

export type Finding = Omit<CheckResult, 'id' | 'title'>;

/** What the checks share; later checks read what earlier ones learnt (the number, Meta's view of it). */
export interface DoctorContext {
  env: Env;
  /** The configuration as the service would load it from this environment; null when it does not load. */
  config: Config | null;
  twilio: ReturnType<typeof twilio> | null;
  graph: GraphClient | null;
  results: Map<string, CheckResult>;
  number: IncomingNumber | null;
  phone: PhoneNumberState | null;
}

export interface Check {
  id: string;
  title: string;
  run(ctx: DoctorContext): Promise<Finding> | Finding;
}

export const pass = (detail: string): Finding => ({ status: 'pass', detail });
export const fail = (detail: string, fix: string): Finding => ({ status: 'fail', detail, fix });
export const skip = (why: string): Finding => ({ status: 'skip', detail: why });

/** True when a variable is set to something other than blanks. */
export const isSet = (env: Env, key: string) => (env[key] ?? '').trim() !== '';

/**
 * A check that needs an earlier one to have passed: skipped when it did not, for the same reason
 * when that one was skipped, or naming it when it failed.
 */
export function after(ctx: DoctorContext, id: string): Finding | null {
  const earlier = ctx.results.get(id);
  if (!earlier || earlier.status === 'pass') return null;
  return skip(earlier.status === 'skip' ? earlier.detail : `needs "${earlier.title}", which failed`);
}
