import { checkCallback } from './callback-check';
import { fieldList, required } from './params';
import type { Ctx, Params } from './types';

/** `GET /{wabaId}/subscribed_apps`. */
export function listSubscribedApps(ctx: Ctx): object {
  const data = ctx.subscribedApps.map((id) => ({ whatsapp_business_api_data: { id, link: `https://www.facebook.com/games/?app_id=${id}`, name: 'wa-onboard' } }));
  return { data };
}

/** `POST /{wabaId}/subscribed_apps`, with an optional WABA-level override that must pass the callback check. */
export async function subscribeApp(ctx: Ctx, params: Params): Promise<object> {
  if (typeof params.override_callback_uri === 'string') {
    await checkCallback(params.override_callback_uri, required(params, 'verify_token'), ctx.options.rewriteCallbackUrl ?? ((u) => u));
    ctx.wabaOverride = params.override_callback_uri;
  }
  if (!ctx.subscribedApps.includes(ctx.options.appId)) ctx.subscribedApps.push(ctx.options.appId);
  return { success: true };
}

/** `GET|POST /{appId}/subscriptions`: the app-level webhook, one per object, replaced when set again. */
export async function appSubscriptions(ctx: Ctx, method: string, params: Params): Promise<object> {
  if (method === 'GET') {
    const data = ctx.appSubscriptions.map((s) => ({ ...s, fields: s.fields.map((name) => ({ name, version: ctx.options.version })) }));
    return { data };
  }
  const object = required(params, 'object');
  const callbackUrl = required(params, 'callback_url');
  const verifyToken = required(params, 'verify_token');
  const fields = fieldList(params.fields);
  await checkCallback(callbackUrl, verifyToken, ctx.options.rewriteCallbackUrl ?? ((u) => u));
  const subscription = { object, callback_url: callbackUrl, fields, active: true };
  const at = ctx.appSubscriptions.findIndex((s) => s.object === object);
  if (at >= 0) ctx.appSubscriptions[at] = subscription;
  else ctx.appSubscriptions.push(subscription);
  return { success: true };
}
