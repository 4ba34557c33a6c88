import crypto from 'node:crypto';
import { fail } from './errors';
import { required } from './params';
import type { Ctx, FakePhone, FakePhoneSeed, Params } from './types';

export function seedPhone(seed: FakePhoneSeed): FakePhone {
  return {
    id: seed.id,
    displayPhoneNumber: seed.displayPhoneNumber,
    digits: seed.displayPhoneNumber.replace(/\D/g, ''),
    verifiedName: seed.verifiedName ?? 'wa-onboard test',
    codeVerificationStatus: seed.codeVerificationStatus ?? 'NOT_VERIFIED',
    status: seed.status ?? 'PENDING',
    code: null,
    pin: null,
    webhookOverride: null,
    registerCalls: 0,
    pendingPolls: null,
  };
}

/** '+1 555-010-0199' for North America, '+CC NATIONAL' elsewhere: close enough to Meta's display form. */
function displayOf(cc: string, national: string): string {
  if (cc === '1' && national.length === 10) return `+1 ${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)}`;
  return `+${cc} ${national}`;
}

/** `GET /{wabaId}/phone_numbers`. */
export function listPhones(ctx: Ctx): object {
  const data = ctx.phoneNumbers.map((p) => ({
    id: p.id,
    display_phone_number: p.displayPhoneNumber,
    verified_name: p.verifiedName,
    code_verification_status: p.codeVerificationStatus,
    quality_rating: 'UNKNOWN',
    status: p.status,
  }));
  return { data };
}

/** `POST /{wabaId}/phone_numbers`: Meta refuses a number whose digits are already on the WABA. */
export function addPhone(ctx: Ctx, params: Params): object {
  const cc = required(params, 'cc').replace(/\D/g, '');
  const national = required(params, 'phone_number').replace(/\D/g, '');
  const verifiedName = required(params, 'verified_name');
  if (ctx.phoneNumbers.some((p) => p.digits === cc + national)) {
    fail(100, '(#100) The phone number you are trying to add already exists on this WhatsApp Business Account', { details: 'Phone number already exists' });
  }
  const id = String(100_000_000_000_000 + crypto.randomInt(0, 2 ** 47));
  ctx.phoneNumbers.push(seedPhone({ id, displayPhoneNumber: displayOf(cc, national), verifiedName }));
  return { id };
}
