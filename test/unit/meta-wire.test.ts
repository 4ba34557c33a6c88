import { FIXTURE_NAMES, fixture, fixtureWire, toMetaWire, type WaWebhook } from '../helpers/meta-wire';

const EXPECTED_NAMES = [
  'account-update',
  'audio',
  'button',
  'contacts',
  'document',
  'edit',
  'image',
  'interactive-button-reply',
  'interactive-list-reply',
  'interactive-nfm-reply',
  'location',
  'message-template-status-update',
  'mixed-batch',
  'order',
  'phone-number-quality-update',
  'reaction',
  'request-welcome',
  'revoke',
  'status-delivered',
  'status-failed',
  'status-read',
  'status-sent',
  'sticker',
  'system',
  'text',
  'unknown-type',
  'unsupported',
  'value-errors',
  'video',
];

const messagesOf = (body: WaWebhook) => body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.messages ?? []));
const statusesOf = (body: WaWebhook) => body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? []));

describe('toMetaWire', () => {
  it("escapes like Meta's documented example (lowercase hex) and escapes /", () => {
    expect(toMetaWire({ a: 'äöå/x' })).toBe('{"a":"\\u00e4\\u00f6\\u00e5\\/x"}');
  });

  it('writes astral characters as UTF-16 surrogate pairs', () => {
    expect(toMetaWire('🎉')).toBe('"\\ud83c\\udf89"');
  });

  it('turns the text fixture into ASCII with \\u00e1-style escapes and \\/', () => {
    const wire = toMetaWire(fixture('text'));
    expect(wire).toMatch(/^[\x20-\x7e]*$/);
    expect(wire).toContain('Ol\\u00e1!'); // "Olá!"
    expect(wire).toContain('Ca\\u00f1\\u00f3n'); // "Cañón"
    expect(wire).toContain('\\ud83c\\udf89'); // 🎉
    expect(wire).toContain('https:\\/\\/example.com\\/a\\/b');
    expect(wire).not.toMatch(/(^|[^\\])\//); // no bare "/"
    expect(wire).not.toContain('\n');
  });

  it('refuses values with no JSON form', () => {
    expect(() => toMetaWire(undefined)).toThrow(TypeError);
  });
});

describe('WhatsApp fixtures', () => {
  it('has every expected case', () => {
    expect(FIXTURE_NAMES).toEqual(EXPECTED_NAMES);
  });

  it.each(FIXTURE_NAMES)('%s is an envelope with entries and changes', (name) => {
    const body = fixture(name);
    expect(body.object).toBe('whatsapp_business_account');
    expect(body.entry.length).toBeGreaterThan(0);
    for (const entry of body.entry) {
      expect(entry.id).toMatch(/^\d+$/);
      expect(entry.changes.length).toBeGreaterThan(0);
      for (const change of entry.changes) {
        if (change.field === 'messages') {
          expect(change.value.messaging_product).toBe('whatsapp');
          expect(change.value.metadata?.phone_number_id).toMatch(/^\d+$/);
        } else {
          expect(typeof entry.time).toBe('number');
          expect(change.value.metadata).toBeUndefined();
        }
      }
    }
  });

  it.each(FIXTURE_NAMES)('%s survives the wire form: ASCII, compact, parses back deep-equal', (name) => {
    const body = fixture(name);
    const wire = toMetaWire(body);
    expect(wire).toMatch(/^[\x20-\x7e]*$/);
    expect(wire).not.toMatch(/(^|[^\\])\//);
    expect(JSON.parse(wire)).toEqual(body);
    expect(toMetaWire(JSON.parse(wire))).toBe(wire);

    const bytes = fixtureWire(name);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.toString('ascii')).toBe(wire);
    expect(bytes.length).toBe(wire.length);
  });

  it('gives each fixture its own message ids', () => {
    const ids = FIXTURE_NAMES.flatMap((name) => messagesOf(fixture(name)).map((m) => m.id));
    expect(ids.length).toBeGreaterThan(20);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has sent, delivered and read for one message id, in order', () => {
    const [sent, delivered, read] = ['status-sent', 'status-delivered', 'status-read'].map((name) => {
      const statuses = statusesOf(fixture(name));
      expect(statuses).toHaveLength(1);
      return statuses[0]!;
    });
    expect([sent!.status, delivered!.status, read!.status]).toEqual(['sent', 'delivered', 'read']);
    expect(delivered!.id).toBe(sent!.id);
    expect(read!.id).toBe(sent!.id);
    expect(Number(sent!.timestamp)).toBeLessThan(Number(delivered!.timestamp));
    expect(Number(delivered!.timestamp)).toBeLessThan(Number(read!.timestamp));
    expect(sent!.pricing).toBeDefined();
    expect(delivered!.conversation).toBeDefined();
    const failed = statusesOf(fixture('status-failed'))[0]!;
    expect(failed.id).not.toBe(sent!.id);
    expect(failed.errors?.[0]?.code).toBe(131047);
  });

  it('mixed-batch holds two entries, two phone numbers, 3 messages and 1 status', () => {
    const body = fixture('mixed-batch');
    expect(body.entry).toHaveLength(2);
    expect(body.entry[0]!.changes.map((c) => c.value.metadata?.phone_number_id)).toEqual([
      '106540352242922',
      '109238475610293',
    ]);
    expect(messagesOf(body)).toHaveLength(3);
    expect(statusesOf(body)).toHaveLength(1);
    expect(body.entry[1]!.changes[0]!.field).toBe('message_template_status_update');
  });

  it('returns a fresh copy on every call, so variants do not leak', () => {
    const variant = fixture('text');
    variant.entry[0]!.id = 'changed';
    expect(fixture('text').entry[0]!.id).toBe('102290129340398');
  });

  it('rejects unknown names', () => {
    expect(() => fixture('../../package')).toThrow(/no WhatsApp fixture/);
  });
});
