import { fixture, toMetaWire, type WaStatus } from '../helpers/meta-wire';

// Webhook POSTs built from the fixtures, in wire form, for what no fixture holds as it is.

/** The id of the message whose statuses the `status-*` fixtures report. */
export const STATUS_MESSAGE_ID = 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4RkUzOUMwMUI5QjVBOERBNEYA';

/** A POST with one status of STATUS_MESSAGE_ID, at `seconds` (Unix time). */
export function statusPost(status: string, seconds: number): Buffer {
  const body = fixture('status-read');
  const item = body.entry[0]?.changes[0]?.value.statuses?.[0] as WaStatus;
  Object.assign(item, { status, timestamp: String(seconds) });
  return Buffer.from(toMetaWire(body), 'ascii');
}

/** A POST of `count` distinct text messages on the text fixture's phone number, their ids `${prefix}-0`, `${prefix}-1`, ... */
export function textBatch(count: number, prefix = 'wamid.bulk'): Buffer {
  const body = fixture('text');
  const value = body.entry[0]?.changes[0]?.value;
  const template = value?.messages?.[0];
  if (!value || !template) throw new Error('the text fixture has no message');
  value.messages = Array.from({ length: count }, (_, n) => ({ ...template, id: `${prefix}-${n}` }));
  return Buffer.from(toMetaWire(body), 'ascii');
}
