import { SAMPLE_EVENT_NAMES, samplePayload, type SampleEventName, type SampleOrigin } from '../../src/embedded/sample-webhook-events';
import type { EventKind, WhatsAppEvent } from '../../src/whatsapp/event';
import { normalizePayload } from '../../src/whatsapp/normalize';

const ORIGIN: SampleOrigin = {
  wabaId: '102290129340398',
  phoneNumberId: '106540352242922',
  displayPhoneNumber: '15550783881',
  at: new Date('2024-05-01T12:34:56.789Z'),
};

// A Record, so a name added to SAMPLE_EVENT_NAMES without an expectation here does not compile.
const EXPECTED: Record<SampleEventName, { kind: EventKind; type: string }> = {
  text: { kind: 'message', type: 'text' },
  image: { kind: 'message', type: 'image' },
  location: { kind: 'message', type: 'location' },
  reaction: { kind: 'message', type: 'reaction' },
  'button-reply': { kind: 'message', type: 'interactive' },
  'status-sent': { kind: 'status', type: 'sent' },
  'status-delivered': { kind: 'status', type: 'delivered' },
  'status-read': { kind: 'status', type: 'read' },
  'status-failed': { kind: 'status', type: 'failed' },
  'value-error': { kind: 'error', type: 'error' },
  'template-status': { kind: 'field', type: 'message_template_status_update' },
  'quality-update': { kind: 'field', type: 'phone_number_quality_update' },
};

/** The one event a sample normalizes to; fails the test when it is not exactly one. */
function onlyEvent(name: SampleEventName): WhatsAppEvent {
  const normalized = normalizePayload(samplePayload(name, ORIGIN), new Date());
  if (!normalized.ok) throw new Error(`${name} did not normalize: ${normalized.problem}`);
  expect(normalized.events).toHaveLength(1);
  return normalized.events[0] as WhatsAppEvent;
}

const dataOf = (event: WhatsAppEvent) => event.data as Record<string, unknown>;

describe('samplePayload', () => {
  it.each(SAMPLE_EVENT_NAMES)('plays %s as ASCII-only bytes that parse as JSON, as Meta puts them on the wire', (name) => {
    const body = samplePayload(name, ORIGIN);
    expect(body.every((byte) => byte < 0x80)).toBe(true);
    expect(JSON.parse(body.toString('ascii'))).toMatchObject({ object: 'whatsapp_business_account' });
  });

  it.each(SAMPLE_EVENT_NAMES)('plays %s as exactly one event of the expected kind and type, from the given origin', (name) => {
    const event = onlyEvent(name);
    expect({ kind: event.kind, type: event.type }).toEqual(EXPECTED[name]);
    expect(event.wabaId).toBe(ORIGIN.wabaId);
    expect(event.timestamp).toBe('2024-05-01T12:34:56.000Z');
  });

  it.each(SAMPLE_EVENT_NAMES.filter((name) => EXPECTED[name].kind !== 'field'))('puts the origin phone number in the metadata of %s', (name) => {
    const event = onlyEvent(name);
    expect({ phoneNumberId: event.phoneNumberId, displayPhoneNumber: event.displayPhoneNumber }).toEqual({
      phoneNumberId: ORIGIN.phoneNumberId,
      displayPhoneNumber: ORIGIN.displayPhoneNumber,
    });
  });

  it('escapes non-ASCII text rather than mangling it, so it reads back intact', () => {
    expect(dataOf(onlyEvent('text')).text).toEqual({ body: 'Olá! Is my order nº 2 on its way?' });
    expect(dataOf(onlyEvent('reaction')).reaction).toMatchObject({ emoji: '👍' });
    expect(dataOf(onlyEvent('location')).location).toMatchObject({ name: 'Praça do Comércio' });
  });

  it('carries an explained 131047 error on status-failed', () => {
    expect(onlyEvent('status-failed').errors).toEqual([
      expect.objectContaining({ code: 131047, known: true, transient: false, meaning: expect.stringContaining('24 hours') as string }) as unknown,
    ]);
  });

  it('carries an explained 130429 error on value-error', () => {
    expect(onlyEvent('value-error').errors).toEqual([
      expect.objectContaining({ code: 130429, known: true, transient: true, meaning: expect.stringContaining('throughput') as string }) as unknown,
    ]);
  });

  const withMessageIds = SAMPLE_EVENT_NAMES.filter((name) => EXPECTED[name].kind === 'message' || EXPECTED[name].kind === 'status');
  it.each(withMessageIds)('gives two %s payloads different message ids, so the second is not taken for a redelivery', (name) => {
    const [first, second] = [onlyEvent(name), onlyEvent(name)];
    expect(dataOf(first).id).toMatch(/^wamid\./);
    expect(dataOf(second).id).not.toBe(dataOf(first).id);
    expect(second.id).not.toBe(first.id);
  });
});
