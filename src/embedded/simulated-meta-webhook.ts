import { randomBytes } from 'node:crypto';
import { rehearsalMark, REHEARSAL_HEADER } from '../whatsapp/rehearsal-mark';
import { signPayload } from '../whatsapp/sign';
import { toMetaWire } from './meta-wire';
import { newWamid } from './sample-webhook-events';

export const SAMPLE_WABA_ID = '102290129340398';
export const SAMPLE_PHONE_NUMBER_ID = '106540352242922';

/**
 * A POST body as Meta sends it when a customer writes: one text message (with a fresh wamid, so
 * each one is a new event) and a `read` status of an earlier reply, in Meta's wire form.
 */
export function sampleMessagePayload(options: { text: string; from?: string; name?: string; at?: Date }): Buffer {
  const from = options.from ?? '16505551234';
  const seconds = String(Math.floor((options.at ?? new Date()).getTime() / 1000));
  const envelope = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: SAMPLE_WABA_ID,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: SAMPLE_PHONE_NUMBER_ID },
              contacts: [{ profile: { name: options.name ?? 'Kerry Fisher' }, wa_id: from }],
              messages: [{ from, id: newWamid(), timestamp: seconds, type: 'text', text: { body: options.text } }],
              statuses: [{ id: newWamid(), status: 'read', timestamp: seconds, recipient_id: from }],
            },
          },
        ],
      },
    ],
  };
  return Buffer.from(toMetaWire(envelope), 'ascii');
}

/**
 * Whether a request is our own commands' rehearsal (`wa-onboard doctor`, `simulate webhook`):
 * then it carries the rehearsal mark, made with the same secret that authenticates it, and the
 * service keeps it apart from Meta's traffic. Off when playing Meta itself (the demo, tests).
 */
export interface PlayedAs {
  rehearsal?: boolean;
}

/** POSTs `body` to a running service's webhook, signed with `appSecret` as Meta signs it. */
export function postToWebhook(serviceUrl: string, appSecret: string, body: Buffer, options: PlayedAs = {}): Promise<Response> {
  return fetch(`${serviceUrl}/webhooks/whatsapp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signPayload(appSecret, body),
      ...(options.rehearsal ? { [REHEARSAL_HEADER]: rehearsalMark(appSecret, body) } : {}),
    },
    body,
  });
}

/** Meta's subscription check: the GET it sends when the callback URL is saved. */
export async function checkSubscription(serviceUrl: string, verifyToken: string, options: PlayedAs = {}): Promise<{ status: number; echoed: boolean }> {
  const challenge = randomBytes(8).toString('hex');
  const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': challenge });
  const res = await fetch(`${serviceUrl}/webhooks/whatsapp?${query.toString()}`, {
    headers: options.rehearsal ? { [REHEARSAL_HEADER]: rehearsalMark(verifyToken, challenge) } : {},
  });
  return { status: res.status, echoed: (await res.text()) === challenge };
}
