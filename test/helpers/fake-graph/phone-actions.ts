import crypto from 'node:crypto';
import { checkCallback } from './callback-check';
import { fail, unsupported } from './errors';
import { objectParam, required } from './params';
import type { Answer, Ctx, FakePhone, Params } from './types';

/** `POST /{phoneId}/{action}`: request_code, verify_code and register. */
export function phoneAction(ctx: Ctx, phone: FakePhone, action: string, params: Params): Answer {
  if (action === 'request_code') {
    const method = params.code_method;
    if (method !== 'SMS' && method !== 'VOICE') fail(100, `(#100) Param code_method must be one of {SMS, VOICE} - got "${String(method)}".`);
    const language = required(params, 'language');
    phone.code = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
    if (method === 'VOICE' && ctx.options.onVoiceCall) {
      const call = { code: phone.code, phoneNumber: phone.digits, language };
      const robot = ctx.options.onVoiceCall;
      // Started on the next turn, after the answer is on its way, as Meta's call comes after its reply.
      ctx.robots.push(new Promise<void>((resolve) => setImmediate(resolve)).then(() => robot(call)).catch((e: unknown) => void ctx.robotErrors.push(e)));
    }
    return { success: true };
  }
  if (action === 'verify_code') {
    const code = required(params, 'code');
    if (phone.code === null || code !== phone.code) fail(136025, "Code couldn't be verified", { details: 'Verify code error' });
    phone.codeVerificationStatus = 'VERIFIED';
    return { success: true };
  }
  if (action === 'register') return register(ctx, phone, params);
  return unsupported('post', `${phone.id}/${action}`);
}

function register(ctx: Ctx, phone: FakePhone, params: Params): Answer {
  phone.registerCalls++;
  if (phone.registerCalls > 10) {
    fail(133016, 'Account register deregister rate limit exceeded', { details: 'Too many register attempts for this phone number; try again in 72 hours' });
  }
  if (params.messaging_product !== 'whatsapp') fail(100, '(#100) The parameter messaging_product is required');
  const pin = params.pin;
  if (typeof pin !== 'string' || !/^\d{6}$/.test(pin)) fail(100, '(#100) Param pin must be 6 digits', { details: 'pin must be a 6-digit string' });
  if (phone.codeVerificationStatus !== 'VERIFIED') fail(133010, 'Phone number not verified', { details: 'Verify the number with request_code and verify_code first' });
  // Meta sets the two-step pin on the first register and checks later ones against it.
  if (phone.pin !== null && phone.pin !== pin) fail(133005, 'Two step verification PIN Mismatch', { details: 'The pin does not match' });
  phone.pin = pin;
  phone.status = 'PENDING';
  phone.pendingPolls = ctx.options.pollsUntilConnected ?? 1;
  return { success: true };
}

const PHONE_FIELDS = ['id', 'display_phone_number', 'verified_name', 'status', 'code_verification_status', 'name_status', 'quality_rating', 'webhook_configuration'];

/** `GET /{phoneId}`: each read counts down a settling register, PENDING until it reads CONNECTED. */
export function readPhone(ctx: Ctx, phone: FakePhone, fieldsParam: string | undefined): object {
  if (phone.pendingPolls !== null) {
    if (phone.pendingPolls > 0) phone.pendingPolls--;
    else {
      phone.status = 'CONNECTED';
      phone.pendingPolls = null;
    }
  }
  const app = ctx.appSubscriptions.find((s) => s.object === 'whatsapp_business_account');
  const all: Record<string, unknown> = {
    id: phone.id,
    display_phone_number: phone.displayPhoneNumber,
    verified_name: phone.verifiedName,
    status: phone.status,
    code_verification_status: phone.codeVerificationStatus,
    name_status: 'APPROVED',
    quality_rating: 'GREEN',
    webhook_configuration: {
      ...(app && { application: app.callback_url }),
      ...(ctx.wabaOverride !== null && { whatsapp_business_account: ctx.wabaOverride }),
      ...(phone.webhookOverride && { phone_number: phone.webhookOverride.callbackUri }),
    },
  };
  const wanted = (fieldsParam ?? 'id,display_phone_number,verified_name,code_verification_status,quality_rating').split(',');
  // Graph always includes the id, whatever fields were asked for.
  return Object.fromEntries(Object.entries(all).filter(([k]) => k === 'id' || (wanted.includes(k) && PHONE_FIELDS.includes(k))));
}

/** `POST /{phoneId}` with webhook_configuration: the override is stored only after Meta's callback check passes. */
export async function setPhoneWebhook(ctx: Ctx, phone: FakePhone, params: Params): Promise<object> {
  const config = objectParam(params.webhook_configuration) ?? fail(100, '(#100) The parameter webhook_configuration is required');
  const callbackUri = required(config, 'override_callback_uri');
  const verifyToken = required(config, 'verify_token');
  await checkCallback(callbackUri, verifyToken, ctx.options.rewriteCallbackUrl ?? ((u) => u));
  phone.webhookOverride = { callbackUri, verifyToken };
  return { success: true };
}
