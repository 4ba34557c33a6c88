import { findOnWaba, readPhoneNumber, describePhone } from './phone-numbers';
import { digitsOf, splitE164 } from './phone-number';
import { StepError, type OnboardingDeps, type OnboardingState, type OnboardingStep, type SeenCode } from './onboarding';

/**
 * The steps that take the number from "on the WABA" to "CONNECTED". Each one first asks Meta
 * whether it is already done, so running the command again never spends a verification call or
 * one of the ten registrations Meta allows per 72 hours.
 */
export function numberSteps(deps: OnboardingDeps): Record<'addNumber' | 'requestCode' | 'waitForCode' | 'verifyCode' | 'register' | 'waitConnected', OnboardingStep> {
  const { graph, settings, codes } = deps;
  const phoneId = (state: OnboardingState) => phoneNumberIdOf(deps, state);
  const verified = async (state: OnboardingState) => {
    state.phone = await readPhoneNumber(graph, await phoneId(state));
    return state.phone.code_verification_status === 'VERIFIED';
  };

  return {
    addNumber: {
      name: 'add-number',
      title: 'Put the number on the WhatsApp Business Account',
      async run(state) {
        if (settings.phoneNumberId) return { status: 'skipped', detail: `META_PHONE_NUMBER_ID is set (${settings.phoneNumberId})` };
        const wabaId = requireWaba(settings.wabaId);
        const found = await findOnWaba(graph, wabaId, settings.phoneNumber);
        if (found) {
          state.phoneNumberId = found.id;
          return { status: 'skipped', detail: `already on WABA ${wabaId} as phone number id ${found.id}` };
        }
        if (!settings.verifiedName) {
          throw new StepError(
            `${settings.phoneNumber} is not on WABA ${wabaId}`,
            'Pass --verified-name "Your Business" to add it; that display name goes to Meta for review.',
          );
        }
        const { cc, phoneNumber } = splitE164(settings.phoneNumber);
        const { id } = await graph.post<{ id: string }>(`/${wabaId}/phone_numbers`, {
          cc,
          phone_number: phoneNumber,
          verified_name: settings.verifiedName,
        });
        state.phoneNumberId = id;
        return { status: 'done', detail: `added to WABA ${wabaId} as phone number id ${id}; set META_PHONE_NUMBER_ID=${id}` };
      },
    },

    requestCode: {
      name: 'request-code',
      title: 'Ask Meta to call the number with a code',
      async run(state) {
        if (await verified(state)) return { status: 'skipped', detail: 'Meta already lists the number as verified' };
        if (settings.code) return { status: 'skipped', detail: 'a code was given with --code: no call needed' };
        // Before spending a call: the service must answer, or we could not read the code it hears.
        state.codesBefore = await codes.known();
        await graph.post(`/${await phoneId(state)}/request_code`, { code_method: 'VOICE', language: settings.language });
        return { status: 'done', detail: `Meta is calling ${settings.phoneNumber} (voice, ${settings.language})` };
      },
    },

    waitForCode: {
      name: 'wait-for-code',
      title: "Wait for the service to hear the code in Meta's call",
      async run(state) {
        if (settings.code) {
          state.code = settings.code;
          return { status: 'skipped', detail: 'using the code given with --code' };
        }
        if (await verified(state)) return { status: 'skipped', detail: 'Meta already lists the number as verified' };
        // Resumed here (--from): only a code heard from now on belongs to this attempt.
        const seen = new Set((state.codesBefore ?? (await codes.known())).map(keyOf));
        const minutes = Math.round(settings.codeTimeoutMs / 60_000);
        const heard = await deps.wait(`waiting for Meta's call to ${settings.phoneNumber}`, settings.codeTimeoutMs, async () =>
          (await codes.known()).find((c) => !seen.has(keyOf(c)) && digitsOf(c.to) === digitsOf(settings.phoneNumber)),
        );
        if (!heard) {
          throw new StepError(
            `the service heard no code within ${minutes} minute(s)`,
            "Run `wa-onboard doctor` and read the call in Twilio's call log; if the code reached you another way, run `wa-onboard meta verify --from verify-code --code NNNNNN`.",
          );
        }
        state.code = heard.code;
        return { status: 'done', detail: `heard a ${heard.code.length}-digit code by ${heard.source} (call ${heard.callSid})` };
      },
    },

    verifyCode: {
      name: 'verify-code',
      title: 'Send the code to Meta',
      async run(state) {
        if (await verified(state)) return { status: 'skipped', detail: 'Meta already lists the number as verified' };
        const { code, from } = await codeToSend(deps, state);
        await graph.post(`/${await phoneId(state)}/verify_code`, { code });
        return { status: 'done', detail: `Meta accepted the code ${from}` };
      },
    },

    register: {
      name: 'register',
      title: 'Register the number for the Cloud API',
      async run(state) {
        const phone = await readPhoneNumber(graph, await phoneId(state));
        if (phone.status === 'CONNECTED') return { status: 'skipped', detail: 'already registered (status CONNECTED)' };
        const pin = settings.pin ?? deps.newPin();
        await graph.post(`/${phone.id}/register`, { messaging_product: 'whatsapp', pin });
        return {
          status: 'done',
          detail: settings.pin ? 'registered with the PIN given' : 'registered with a new two-step verification PIN',
          ...(settings.pin ? {} : { secret: { label: 'two-step verification PIN; keep it, Meta asks for it to register this number again', value: pin } }),
        };
      },
    },

    waitConnected: {
      name: 'wait-connected',
      title: 'Wait for Meta to report the number CONNECTED',
      async run(state) {
        const id = await phoneId(state);
        let last = state.phone;
        const connected = await deps.wait('waiting for status CONNECTED', settings.connectTimeoutMs, async () => {
          last = await readPhoneNumber(graph, id);
          return last.status === 'CONNECTED' ? last : undefined;
        });
        if (!connected) {
          throw new StepError(
            `status is still ${last?.status ?? 'unknown'} after ${Math.round(settings.connectTimeoutMs / 1000)} s`,
            'Meta can take a few minutes: run `wa-onboard meta verify --from wait-connected` again, and check WhatsApp Manager for a display-name or policy hold.',
          );
        }
        return { status: 'done', detail: describePhone(connected) };
      },
    },
  };
}

/** The phone number id: set, learnt by an earlier step, or looked up on the WABA. */
export async function phoneNumberIdOf(deps: OnboardingDeps, state: OnboardingState): Promise<string> {
  if (state.phoneNumberId) return state.phoneNumberId;
  const { settings } = deps;
  if (settings.phoneNumberId) return (state.phoneNumberId = settings.phoneNumberId);
  const found = await findOnWaba(deps.graph, requireWaba(settings.wabaId), settings.phoneNumber);
  if (!found) {
    throw new StepError(
      `${settings.phoneNumber} is not on WABA ${settings.wabaId}`,
      'Run `wa-onboard meta verify --verified-name "Your Business"` to add it, or set META_PHONE_NUMBER_ID.',
    );
  }
  return (state.phoneNumberId = found.id);
}

function requireWaba(wabaId: string | null): string {
  if (wabaId) return wabaId;
  throw new StepError(
    'neither META_PHONE_NUMBER_ID nor META_WABA_ID is set',
    'Set META_PHONE_NUMBER_ID (WhatsApp Manager > Phone numbers), or META_WABA_ID to find or add the number there.',
  );
}

/** The code given, the one this run waited for, or else the newest the service heard for the number. */
async function codeToSend(deps: OnboardingDeps, state: OnboardingState): Promise<{ code: string; from: string }> {
  if (deps.settings.code) return { code: deps.settings.code, from: 'given with --code' };
  if (state.code) return { code: state.code, from: 'heard in the call' };
  const latest = (await deps.codes.known()).find((c) => digitsOf(c.to) === digitsOf(deps.settings.phoneNumber));
  if (!latest) {
    throw new StepError(
      'no code to send: none was given and the service has heard none for this number',
      'Run `wa-onboard meta verify --from request-code` for a new call, or pass --code NNNNNN.',
    );
  }
  state.code = latest.code;
  return { code: latest.code, from: `heard at ${latest.receivedAt} (the newest the service holds)` };
}

function keyOf(code: SeenCode): string {
  return `${code.callSid}|${code.receivedAt}|${code.code}`;
}
