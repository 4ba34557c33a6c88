import { randomBytes } from 'node:crypto';
import { toMetaWire } from './meta-wire';

/** The events `wa-onboard simulate webhook --event` can play, each one item in one POST. */
export const SAMPLE_EVENT_NAMES = [
  'text',
  'image',
  'location',
  'reaction',
  'button-reply',
  'status-sent',
  'status-delivered',
  'status-read',
  'status-failed',
  'value-error',
  'template-status',
  'quality-update',
] as const;

export type SampleEventName = (typeof SAMPLE_EVENT_NAMES)[number];

/** Where the sample says it comes from: Meta's sample ids unless the team's own are given. */
export interface SampleOrigin {
  wabaId: string;
  phoneNumberId: string;
  /** Digits only, as Meta writes it in `metadata`. */
  displayPhoneNumber: string;
  at: Date;
}

/** A fresh WhatsApp message id: each sample is a new event, never a duplicate of the last one. */
export function newWamid(): string {
  return `wamid.${Buffer.from(`wa-onboard-sample-${randomBytes(12).toString('hex')}`).toString('base64')}`;
}

/**
 * A POST body as Meta sends it for `name`, in Meta's wire form (escaped non-ASCII), with the
 * shapes of Meta's webhook reference (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components).
 */
export function samplePayload(name: SampleEventName, origin: SampleOrigin): Buffer {
  const seconds = String(Math.floor(origin.at.getTime() / 1000));
  const customer = '16505551234';
  const metadata = { display_phone_number: origin.displayPhoneNumber, phone_number_id: origin.phoneNumberId };
  const contacts = [{ profile: { name: 'Kerry Fisher' }, wa_id: customer }];
  const message = (type: string, content: object) => ({
    field: 'messages',
    value: { messaging_product: 'whatsapp', metadata, contacts, messages: [{ from: customer, id: newWamid(), timestamp: seconds, type, ...content }] },
  });
  const status = (value: string, extra: object = {}) => ({
    field: 'messages',
    value: { messaging_product: 'whatsapp', metadata, statuses: [{ id: newWamid(), status: value, timestamp: seconds, recipient_id: customer, ...extra }] },
  });
  const changes: Record<SampleEventName, () => object> = {
    text: () => message('text', { text: { body: 'Olá! Is my order nº 2 on its way?' } }),
    image: () =>
      message('image', { image: { caption: 'Receipt – store nº 2', mime_type: 'image/jpeg', sha256: randomBytes(32).toString('base64'), id: digits(16) } }),
    location: () => message('location', { location: { latitude: 38.7223, longitude: -9.1393, name: 'Praça do Comércio', address: 'Lisboa' } }),
    reaction: () => message('reaction', { reaction: { message_id: newWamid(), emoji: '👍' } }),
    'button-reply': () =>
      message('interactive', { interactive: { type: 'button_reply', button_reply: { id: 'confirm', title: 'Confirm' } } }),
    'status-sent': () => status('sent', { conversation: { id: randomBytes(16).toString('hex'), origin: { type: 'service' } }, pricing: { billable: false, pricing_model: 'PMP', category: 'service' } }),
    'status-delivered': () => status('delivered'),
    'status-read': () => status('read'),
    'status-failed': () =>
      status('failed', {
        errors: [{ code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', error_data: { details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' } }],
      }),
    'value-error': () => ({
      field: 'messages',
      value: { messaging_product: 'whatsapp', metadata, errors: [{ code: 130429, title: 'Rate limit hit', message: 'Rate limit hit', error_data: { details: `Too many messages sent from this phone number (${randomBytes(4).toString('hex')}).` } }] },
    }),
    'template-status': () => ({
      field: 'message_template_status_update',
      value: { event: 'APPROVED', message_template_id: Number(digits(15)), message_template_name: 'order_confirmation', message_template_language: 'en_US', reason: 'NONE' },
    }),
    'quality-update': () => ({
      field: 'phone_number_quality_update',
      value: { display_phone_number: origin.displayPhoneNumber, event: 'FLAGGED', current_limit: 'TIER_10K' },
    }),
  };
  const entry = { id: origin.wabaId, time: Number(seconds), changes: [changes[name]()] };
  return Buffer.from(toMetaWire({ object: 'whatsapp_business_account', entry: [entry] }), 'ascii');
}

function digits(length: number): string {
  return Array.from(randomBytes(length), (b) => String(b % 10)).join('').replace(/^0/, '1');
}
