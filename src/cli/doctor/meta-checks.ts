import { GraphError } from '../../meta/graph-error';
import { describePhone, findOnWaba, readPhoneNumber } from '../../meta/phone-numbers';
import { effectiveWebhook } from '../../meta/phone-state';
import { subscribedApps } from '../../meta/subscribed-apps';
import { after, fail, pass, skip, type Check, type Finding } from './check';

const NO_TOKEN = 'META_ACCESS_TOKEN is not set: Meta\'s side is not checked';

export const metaTokenCheck: Check = {
  id: 'meta-token',
  title: "Meta accepts the access token",
  async run(ctx) {
    if (!ctx.graph) return skip(NO_TOKEN);
    try {
      const me = await ctx.graph.get<{ id?: string; name?: string }>('/me', { fields: 'id,name' });
      return pass(`${me.name ?? 'system user'} (${me.id ?? '?'})`);
    } catch (error) {
      return graphFailure(error);
    }
  },
};

export const metaNumberCheck: Check = {
  id: 'meta-number',
  title: 'Meta knows the number',
  async run(ctx) {
    const blocked = after(ctx, 'meta-token');
    if (blocked) return blocked;
    const { config, graph } = ctx;
    if (!graph || !config) return skip(NO_TOKEN);
    const { phoneNumberId, wabaId } = config.meta;
    if (!phoneNumberId && !wabaId) return skip('neither META_PHONE_NUMBER_ID nor META_WABA_ID is set');
    try {
      const id = phoneNumberId ?? (await findOnWaba(graph, wabaId ?? '', config.twilio.phoneNumber))?.id;
      if (!id) {
        return fail(`${config.twilio.phoneNumber} is not on WABA ${wabaId}`, 'Run `wa-onboard meta verify --verified-name "Your Business"` to add it.');
      }
      ctx.phone = await readPhoneNumber(graph, id);
      const next = ctx.phone.status === 'CONNECTED' ? '' : '; next: `wa-onboard meta verify`';
      return pass(`phone number id ${id}: ${describePhone(ctx.phone)}${next}`);
    } catch (error) {
      return graphFailure(error);
    }
  },
};

export const metaWebhookCheck: Check = {
  id: 'meta-webhook',
  title: "Meta sends the number's events to PUBLIC_URL",
  run(ctx) {
    const blocked = after(ctx, 'meta-number');
    if (blocked) return blocked;
    if (!ctx.phone || !ctx.config) return skip('the number was not read from Meta');
    const expected = `${ctx.config.publicUrl}/webhooks/whatsapp`;
    const effective = effectiveWebhook(ctx.phone);
    if (effective === expected) return pass(expected);
    return fail(
      effective ? `Meta sends them to ${effective}` : 'Meta has no webhook URL for this number',
      'Run `wa-onboard meta verify --from set-webhook`.',
    );
  },
};

export const metaSubscriptionCheck: Check = {
  id: 'meta-subscription',
  title: 'The app is subscribed to the WhatsApp Business Account',
  async run(ctx) {
    const blocked = after(ctx, 'meta-token');
    if (blocked) return blocked;
    const { config, graph } = ctx;
    if (!graph || !config) return skip(NO_TOKEN);
    const { wabaId, appId } = config.meta;
    if (!wabaId) return skip('META_WABA_ID is not set');
    try {
      const apps = await subscribedApps(graph, wabaId);
      const ours = appId ? apps.find((a) => a.id === appId) : apps[0];
      if (ours) return pass(`app ${ours.name ? `"${ours.name}" ` : ''}(${ours.id}) on WABA ${wabaId}`);
      const detail = apps.length > 0 ? `WABA ${wabaId} has apps ${apps.map((a) => a.id).join(', ')}, not ${appId}` : `no app is subscribed to WABA ${wabaId}: no webhook will flow`;
      return fail(detail, 'Run `wa-onboard meta verify --from subscribe-app`.');
    } catch (error) {
      return graphFailure(error);
    }
  },
};

/** A Graph refusal as a finding: Meta's words, the catalog's meaning, and its action as the fix. */
function graphFailure(error: unknown): Finding {
  if (error instanceof GraphError) {
    return fail(`${error.describe()}. ${error.explained.meaning}`, error.explained.action);
  }
  return fail(error instanceof Error ? error.message : String(error), 'Check META_GRAPH_URL and the network.');
}
