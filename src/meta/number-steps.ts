import { splitE164 } from './phone-number';
import { describePhone, findOnWaba, readPhoneNumber } from './phone-numbers';
import { isRegistered } from './phone-state';
import { StepError, type OnboardingDeps, type OnboardingState, type OnboardingStep } from './onboarding';

/**
 * The steps around the code: put the number on the WABA, register it, see it CONNECTED. Each one
 * first asks Meta whether it is already done, so running the command again never spends one of
 * the ten registrations Meta allows per 72 hours.
 */
export function numberSteps(deps: OnboardingDeps): Record<'addNumber' | 'register' | 'waitConnected', OnboardingStep> {
  const { graph, settings } = deps;
  const phoneId = (state: OnboardingState) => phoneNumberIdOf(deps, state);

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

    register: {
      name: 'register',
      title: 'Register the number for the Cloud API',
      async run(state) {
        const phone = await readPhoneNumber(graph, await phoneId(state));
        state.phone = phone;
        if (isRegistered(phone)) return { status: 'skipped', detail: `already registered (status ${phone.status})` };
        // A number registered before may hold a two-step PIN: a guessed one fails (133005) and spends a registration.
        if (phone.status === 'DISCONNECTED' && !settings.pin) {
          throw new StepError('the number was registered before (status DISCONNECTED) and may hold a two-step PIN', 'Run again with --pin and the number\'s two-step verification PIN.');
        }
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
