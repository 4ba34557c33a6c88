import { normalizePayload } from '../../src/whatsapp/normalize';
import { MAX_NESTING, MAX_UPDATES_PER_POST } from '../../src/whatsapp/payload-limits';
import { fixture, toMetaWire } from '../helpers/meta-wire';

// The limits past which a signed POST is recorded as a problem, and the cases the property tests
// found, pinned here: their seeds are random, so a rerun need not meet them again.

const RECEIVED_AT = new Date('2026-11-23T12:00:00Z');
const normalize = (body: unknown) => normalizePayload(Buffer.from(toMetaWire(body), 'ascii'), RECEIVED_AT);

/** Meta's text fixture, with `count` messages each in an entry and a change of its own. */
function entryPerMessage(count: number): unknown {
  const envelope = fixture('text');
  const entry = envelope.entry[0];
  const change = entry?.changes[0];
  const message = change?.value.messages?.[0];
  if (!entry || !change || !message) throw new Error('the text fixture has no message');
  return {
    ...envelope,
    entry: Array.from({ length: count }, (_, i) => ({
      ...entry,
      changes: [{ ...change, value: { ...change.value, messages: [{ ...message, id: `wamid.entry-${i}` }] } }],
    })),
  };
}

/** `{"a":{"a":...{"a":1}}}`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('the limits on one POST', () => {
  it('reads a batch of 1000 updates that gives each its own entry and change', () => {
    const result = normalize(entryPerMessage(1_000));
    expect(result.ok && result.events.length).toBe(1_000);
  });

  it('records a POST past the limit as a problem, without expanding it', () => {
    const result = normalize({ object: 'whatsapp_business_account', entry: Array.from({ length: 200_000 }, () => ({})) });
    expect(result).toEqual({
      ok: false,
      problem: `holds more than ${MAX_UPDATES_PER_POST} entries, changes and items; Meta sends at most 1000 updates in one POST`,
    });
  });

  it(`reads JSON nested ${MAX_NESTING} levels deep, and records one level more as a problem`, () => {
    // The envelope itself takes 5 levels (object, entry array, entry, changes array, change, value).
    const withExtra = (levels: number) => {
      const body = fixture('text');
      const value = body.entry[0]?.changes[0]?.value as Record<string, unknown>;
      value.extra = nested(levels);
      return body;
    };
    const depthOfValue = 6;
    expect(normalize(withExtra(MAX_NESTING - depthOfValue)).ok).toBe(true);
    expect(normalize(withExtra(MAX_NESTING - depthOfValue + 1))).toEqual({ ok: false, problem: `nested more than ${MAX_NESTING} levels deep` });
  });

  it('gives a timestamp past what a Date holds as null, rather than losing the POST', () => {
    const body = fixture('text');
    const message = body.entry[0]?.changes[0]?.value.messages?.[0];
    if (message) message.timestamp = '9000000000000000';
    const result = normalize(body);
    expect(result.ok && result.events.map((e) => e.timestamp)).toEqual([null]);
  });
});
