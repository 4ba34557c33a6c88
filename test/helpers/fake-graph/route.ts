import { fail, unsupported } from './errors';
import { addPhone, listPhones } from './phone-numbers';
import { phoneAction, readPhone, setPhoneWebhook } from './phone-actions';
import { sameSecret } from './request';
import { appSubscriptions, listSubscribedApps, subscribeApp } from './subscriptions';
import type { Answer, Ctx, GraphRequest, Params } from './types';

function wabaRoute(ctx: Ctx, method: string, edge: string, params: Params): Answer {
  if (edge === 'phone_numbers' && method === 'GET') return listPhones(ctx);
  if (edge === 'phone_numbers' && method === 'POST') return addPhone(ctx, params);
  if (edge === 'subscribed_apps' && method === 'GET') return listSubscribedApps(ctx);
  if (edge === 'subscribed_apps' && method === 'POST') return subscribeApp(ctx, params);
  return unsupported(method, `${ctx.options.wabaId}/${edge}`);
}

/** Checks the token the path needs, then hands the request to its handler. */
export function route(ctx: Ctx, req: GraphRequest): Answer {
  const { options } = ctx;
  const [id = '', edge, ...rest] = req.path.split('/').filter(Boolean);
  const params: Params = { ...req.query, ...req.body };
  const isAppRoute = id === options.appId && edge === 'subscriptions';
  const expected = isAppRoute ? `${options.appId}|${options.appSecret}` : options.accessToken;
  if (req.token === null || !sameSecret(req.token, expected)) fail(190, 'Invalid OAuth access token - Cannot parse access token');
  if (rest.length > 0 || !['GET', 'POST'].includes(req.method)) return unsupported(req.method, req.path.slice(1));
  if (isAppRoute) return appSubscriptions(ctx, req.method, params);
  if (id === 'me' && edge === undefined && req.method === 'GET') return { id: '100000000000001', name: 'wa-onboard system user' };
  if (id === options.wabaId && edge !== undefined) return wabaRoute(ctx, req.method, edge, params);
  const phone = ctx.phoneNumbers.find((p) => p.id === id);
  if (!phone) return unsupported(req.method, id);
  if (edge !== undefined && req.method === 'POST') return phoneAction(ctx, phone, edge, params);
  if (edge === undefined && req.method === 'GET') return readPhone(ctx, phone, req.query.fields);
  if (edge === undefined && req.method === 'POST') return setPhoneWebhook(ctx, phone, params);
  return unsupported(req.method, req.path.slice(1));
}
