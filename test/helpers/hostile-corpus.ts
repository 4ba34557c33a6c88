import type { HostileCase } from './hostile/case';
import { adminApiCases, loginCases } from './hostile/admin-cases';
import { metaBodyCases, metaSignatureCases, metaSizeCases } from './hostile/meta-cases';
import { challengeCases, methodCases, pathCases } from './hostile/surface-cases';
import { twilioSignatureCases, twilioSizeCases } from './hostile/twilio-cases';
import { twilioBodyCases, twilioCallerCases, twilioInjectionCases } from './hostile/twilio-param-cases';

export type { Category, HostileCase, Status } from './hostile/case';

/**
 * Every hostile request of one round, by category. `round` makes the CallSids of this round
 * unique, so each accepted Twilio request's call can be found in the store again.
 */
export function hostileCorpus(round: number): HostileCase[] {
  return [
    ...metaSignatureCases(),
    ...metaSizeCases(),
    ...metaBodyCases(),
    ...twilioSignatureCases(round),
    ...twilioSizeCases(round),
    ...twilioBodyCases(round),
    ...twilioInjectionCases(round),
    ...twilioCallerCases(round),
    ...adminApiCases(),
    ...loginCases(),
    ...pathCases(),
    ...methodCases(),
    ...challengeCases(),
  ];
}
