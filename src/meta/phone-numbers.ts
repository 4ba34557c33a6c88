import type { GraphClient } from './graph-client';
import { digitsOf } from './phone-number';

/** A phone number as `GET /{PHONE_NUMBER_ID}` describes it; every field but `id` may be absent. */
export interface PhoneNumberState {
  id: string;
  display_phone_number?: string;
  verified_name?: string;
  /** `CONNECTED` once registered and able to send; also PENDING, FLAGGED, RESTRICTED, ... */
  status?: string;
  /** `VERIFIED` once `verify_code` succeeded; also NOT_VERIFIED, EXPIRED. */
  code_verification_status?: string;
  name_status?: string;
  quality_rating?: string;
  /** Where Meta sends this number's webhooks: the app's URL, and overrides per WABA or number. */
  webhook_configuration?: { application?: string; whatsapp_business_account?: string; phone_number?: string };
}

const FIELDS = 'id,display_phone_number,verified_name,status,code_verification_status,name_status,quality_rating,webhook_configuration';

export function readPhoneNumber(graph: GraphClient, phoneNumberId: string): Promise<PhoneNumberState> {
  return graph.get<PhoneNumberState>(`/${phoneNumberId}`, { fields: FIELDS });
}

/** The number on the WABA whose digits match `e164`, if Meta lists it there (every page of the list). */
export async function findOnWaba(graph: GraphClient, wabaId: string, e164: string): Promise<PhoneNumberState | null> {
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const { data, paging } = await graph.get<{ data?: PhoneNumberState[]; paging?: { cursors?: { after?: string }; next?: string } }>(`/${wabaId}/phone_numbers`, {
      fields: 'id,display_phone_number,verified_name,code_verification_status,status',
      limit: '100',
      ...(after ? { after } : {}),
    });
    const found = (data ?? []).find((n) => digitsOf(n.display_phone_number ?? '') === digitsOf(e164));
    if (found) return found;
    after = paging?.next ? paging.cursors?.after : undefined;
    if (!after) return null;
  }
  return null;
}

/** "status CONNECTED, code VERIFIED, name APPROVED": what an operator wants to see of a number. */
export function describePhone(phone: PhoneNumberState): string {
  const parts = [
    `status ${phone.status ?? 'unknown'}`,
    `code ${phone.code_verification_status ?? 'unknown'}`,
    ...(phone.name_status ? [`name ${phone.name_status}`] : []),
    ...(phone.quality_rating ? [`quality ${phone.quality_rating}`] : []),
  ];
  return parts.join(', ');
}
