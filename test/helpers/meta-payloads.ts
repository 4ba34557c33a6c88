import { fixture, toMetaWire } from './meta-wire';

export const PHONE_NUMBER_ID = '106540352242922';
export const OTHER_PHONE_NUMBER_ID = '109238475610293';

/**
 * One POST of `count` text messages to `phoneNumberId`, numbered from `first`, in Meta's wire form:
 * the text fixture's shape, one change holding them all (a batch holds up to 1000 updates).
 */
export function textBatch(count: number, options: { first?: number; phoneNumberId?: string } = {}): Buffer {
  const envelope = fixture('text');
  const value = envelope.entry[0]?.changes[0]?.value;
  const message = value?.messages?.[0];
  if (!value?.metadata || !message) throw new Error('the text fixture has no message to copy');
  const first = options.first ?? 0;
  value.metadata = { ...value.metadata, phone_number_id: options.phoneNumberId ?? PHONE_NUMBER_ID };
  value.messages = Array.from({ length: count }, (_, i) => ({
    ...message,
    id: messageId(first + i),
    text: { body: `message ${first + i} · número ${first + i}` },
  }));
  return Buffer.from(toMetaWire(envelope));
}

/** The wamid `textBatch` gives message number `n`. */
export function messageId(n: number): string {
  return `wamid.TEST${String(n).padStart(8, '0')}`;
}
