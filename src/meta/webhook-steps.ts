import { phoneNumberIdOf } from './number-steps';
import { readPhoneNumber } from './phone-numbers';
import { effectiveWebhook } from './phone-state';
import { StepError, type OnboardingDeps, type OnboardingState, type OnboardingStep } from './onboarding';
import { subscribedAppIds } from './subscribed-apps';

interface AppSubscription {
  object?: string;
  callback_url?: string;
  active?: boolean;
  fields?: Array<{ name?: string } | string>;
}

/**
 * The steps that make Meta send this number's events to us. Both are needed: no webhook flows
 * until the app is subscribed to the WABA, and the callback URL says where they go.
 */
export function webhookSteps(deps: OnboardingDeps): Record<'subscribeApp' | 'setWebhook', OnboardingStep> {
  const { graph, settings } = deps;
  return {
    subscribeApp: {
      name: 'subscribe-app',
      title: 'Subscribe the app to the WhatsApp Business Account',
      async run() {
        const wabaId = settings.wabaId;
        if (!wabaId) {
          throw new StepError('META_WABA_ID is not set', 'Set META_WABA_ID (WhatsApp Manager > Account tools > Phone numbers shows it).');
        }
        const ids = await subscribedAppIds(graph, wabaId);
        const already = settings.appId ? ids.includes(settings.appId) : ids.length > 0;
        if (already) return { status: 'skipped', detail: `app ${settings.appId ?? ids.join(', ')} is already subscribed to WABA ${wabaId}` };
        await graph.post(`/${wabaId}/subscribed_apps`);
        // The token's app is the one subscribed: make sure it is ours.
        if (settings.appId && !(await subscribedAppIds(graph, wabaId)).includes(settings.appId)) {
          throw new StepError(`Meta subscribed another app than ${settings.appId}`, "Use a system user token of the app META_APP_ID names (the token's app is the one subscribed).");
        }
        return { status: 'done', detail: `subscribed the app to WABA ${wabaId}: its webhooks can flow` };
      },
    },

    setWebhook: {
      name: 'set-webhook',
      title: `Point the webhook at ${settings.callbackUrl}`,
      async run(state) {
        const outcome = settings.webhook === 'number' ? await overrideOnNumber(deps, state) : await appSubscription(deps);
        // Whatever was set, the number's events go where the most specific setting says.
        const phone = await readPhoneNumber(graph, await phoneNumberIdOf(deps, state));
        const effective = effectiveWebhook(phone);
        if (effective !== settings.callbackUrl) {
          throw new StepError(
            `the number's message events still go to ${effective ?? 'no URL'}: a more specific override wins`,
            settings.webhook === 'app' ? 'Run again with --webhook number, or remove the override in the API.' : 'Check the WABA and number overrides in the API.',
          );
        }
        return outcome;
      },
    },
  };
}

async function overrideOnNumber(deps: OnboardingDeps, state: OnboardingState) {
  const { graph, settings } = deps;
  const id = await phoneNumberIdOf(deps, state);
  const phone = await readPhoneNumber(graph, id);
  const scope = "message events only; template, quality and account updates still go to the app's URL";
  if (phone.webhook_configuration?.phone_number === settings.callbackUrl) {
    return { status: 'skipped', detail: `the number already overrides its webhook to this URL (${scope})` } as const;
  }
  // Meta sends its subscription check (the GET) before it answers: the service must be up.
  await graph.post(`/${id}`, { webhook_configuration: { override_callback_uri: settings.callbackUrl, verify_token: settings.verifyToken } });
  return { status: 'done', detail: `set as the number's override (${scope}); Meta checked the URL with our verify token` } as const;
}

async function appSubscription(deps: OnboardingDeps) {
  const { settings } = deps;
  const { appId } = settings;
  if (!appId || !deps.appGraph) {
    throw new StepError('META_APP_ID is not set: the app subscription needs it', 'Set META_APP_ID (and WHATSAPP_APP_SECRET), or pass --webhook number to set an override on the number.');
  }
  const { data } = await deps.appGraph.get<{ data?: AppSubscription[] }>(`/${appId}/subscriptions`);
  const current = (data ?? []).find((s) => s.object === 'whatsapp_business_account');
  const fields = [...new Set([...(current?.fields ?? []).map(fieldName).filter(Boolean), 'messages'])];
  if (current?.active !== false && current?.callback_url === settings.callbackUrl && current.fields?.map(fieldName).includes('messages')) {
    return { status: 'skipped', detail: `app ${appId} already sends whatsapp_business_account events here` } as const;
  }
  if (current?.callback_url && current.callback_url !== settings.callbackUrl && !settings.moveAppWebhook) {
    throw new StepError(
      `app ${appId} sends its webhooks to ${current.callback_url}, for every WABA it serves`,
      'Run again with --webhook number to override only this number, or with --force to move the app\'s webhook here.',
    );
  }
  // Keep the fields the team already subscribed to; add `messages`.
  await deps.appGraph.post(`/${appId}/subscriptions`, {
    object: 'whatsapp_business_account',
    callback_url: settings.callbackUrl,
    verify_token: settings.verifyToken,
    fields: fields.join(','),
  });
  return { status: 'done', detail: `app ${appId} now sends ${fields.join(', ')} here; Meta checked the URL with our verify token` } as const;
}

function fieldName(field: { name?: string } | string): string {
  return typeof field === 'string' ? field : (field.name ?? '');
}
