import type { Logger } from '../observability/logger';
import type { CallInfo, CallStore, Forwarding, Recipient } from '../store/call-store';
import { admissionFor, forwardingWithoutStore, HELD_REASONS, type ForwardingRules } from './forward-budget';

export interface CallAdmissionDeps {
  store: Pick<CallStore, 'admitCall'>;
  rules: ForwardingRules;
  recipients: Recipient[];
  logger: Logger;
  /** A pause notice was stored: the delivery worker sends it now. */
  onDeliveriesStored: () => void;
}

/**
 * Lets a call in: records it the first time it is seen, with whether its code and "no code heard"
 * notice go to the recipients (see forward-budget.ts), and says so in the log once per call.
 */
export class CallAdmission {
  constructor(private readonly deps: CallAdmissionDeps) {}

  /** The call's forwarding, decided by its first request. Rejects with a `StoreError` when the store fails. */
  async admit(call: CallInfo, at: Date): Promise<Forwarding> {
    const { store, rules, recipients, logger } = this.deps;
    const admitted = await store.admitCall(call, at, admissionFor(rules, call.from, recipients));
    if (admitted.created && admitted.forwarding !== 'forwarded') {
      logger.warn(
        { callSid: call.callSid, from: call.from, forwarding: admitted.forwarding },
        `a call is answered and stored, but not forwarded: ${HELD_REASONS[admitted.forwarding]}`,
      );
    }
    if (admitted.pauseNotice) {
      logger.warn({ callSid: call.callSid, limit: rules.limit }, 'forwarding paused: CALL_FORWARD_LIMIT calls were forwarded in the last hour; the recipients are told once');
      this.deps.onDeliveriesStored();
    }
    return admitted.forwarding;
  }

  /** The call's forwarding when the store cannot be asked: the caller is checked, the budget cannot be. */
  withoutStore(call: CallInfo): Forwarding {
    return forwardingWithoutStore(this.deps.rules, call.from);
  }

  /** Who a call's code or notice goes to: the recipients, or no one when it is held back. */
  recipientsFor(forwarding: Forwarding): Recipient[] {
    return forwarding === 'forwarded' ? this.deps.recipients : [];
  }
}
