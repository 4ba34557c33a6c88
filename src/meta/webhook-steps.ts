import { phoneNumberIdOf } from './number-steps';
import { readPhoneNumber } from './phone-numbers';
import { StepError, type OnboardingDeps, type OnboardingStep } from './onboarding';

interface SubscribedApp {
  whatsapp_business_api_data?: { id?: string; name?: string };
}

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
        const { data } = await graph.get<{ data?: SubscribedApp[] }>(`/${wabaId}/subscribed_apps`);
        const ids = (data ?? []).map((app) => app.whatsapp_business_api_data?.id).filter((id): id is string => Boolean(id));
        const already = settings.appId ? ids.includes(settings.appId) : ids.length > 0;
        if (already) return { status: 'skipped', detail: `app ${settings.appId ?? ids.join(', ')} is already subscribed to WABA ${wabaId}` };
        await graph.post(`/${wabaId}/subscribed_apps`);
        return { status: 'done', detail: `subscribed the app to WABA ${wabaId}: its webhooks can flow` };
      },
    },

    setWebhook: {
      name: 'set-webhook',
      title: `Point the webhook at ${settings.callbackUrl}`,
      async run(state) {
        if (settings.webhook === 'number') {
          const id = await phoneNumberIdOf(deps, state);
          const phone = await readPhoneNumber(graph, id);
          if (phone.webhook_configuration?.phone_number === settings.callbackUrl) {
            return { status: 'skipped', detail: 'the number already overrides its webhook to this URL' };
          }
          // Meta sends its subscription check (the GET) before it answers: the service must be up.
          await graph.post(`/${id}`, {
            webhook_configuration: { override_callback_uri: settings.callbackUrl, verify_token: settings.verifyToken },
          });
          return { status: 'done', detail: 'set as the number\'s override; Meta checked the URL with our verify token' };
        }
        const { appId } = settings;
        if (!appId || !deps.appGraph) {
          throw new StepError(
            'META_APP_ID is not set: the app subscription needs it',
            'Set META_APP_ID (and WHATSAPP_APP_SECRET), or pass --webhook number to set an override on the number.',
          );
        }
        const { data } = await deps.appGraph.get<{ data?: AppSubscription[] }>(`/${appId}/subscriptions`);
        const current = (data ?? []).find((s) => s.object === 'whatsapp_business_account');
        const fields = new Set([...(current?.fields ?? []).map(fieldName), 'messages']);
        if (current?.active !== false && current?.callback_url === settings.callbackUrl && (current.fields ?? []).map(fieldName).includes('messages')) {
          return { status: 'skipped', detail: `app ${appId} already sends whatsapp_business_account events here` };
        }
        // Keep the fields the team already subscribed to; add `messages`.
        await deps.appGraph.post(`/${appId}/subscriptions`, {
          object: 'whatsapp_business_account',
          callback_url: settings.callbackUrl,
          verify_token: settings.verifyToken,
          fields: [...fields].filter(Boolean).join(','),
        });
        return { status: 'done', detail: `app ${appId} now sends ${[...fields].join(', ')} here; Meta checked the URL with our verify token` };
      },
    },
  };
}

function fieldName(field: { name?: string } | string): string {
  return typeof field === 'string' ? field : (field.name ?? '');
}
