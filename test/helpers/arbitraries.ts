import fc from 'fast-check';
import { FIXTURE_NAMES, fixture, type WaChange, type WaChangeValue, type WaWebhook } from './meta-wire';

// Generators shared by the property tests (test/unit/properties-*.test.ts).

/** One UTF-16 code unit, any of them: lone surrogates and control characters included. */
export const codeUnit: fc.Arbitrary<string> = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));

/** Lone surrogate halves, which a JS string can hold but UTF-8 cannot encode. */
export const loneSurrogate: fc.Arbitrary<string> = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((unit) => String.fromCharCode(unit));

/** C0 and C1 control characters (NUL, CR, LF, ESC, ...). */
export const controlCharacter: fc.Arbitrary<string> = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .map((unit) => String.fromCharCode(unit));

/**
 * One "character" of any kind: printable ASCII, a whole code point anywhere in Unicode, a
 * grapheme (emoji, letters with combining marks), a lone surrogate or a control character.
 */
export const anyCharacter: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  codeUnit,
  loneSurrogate,
  controlCharacter,
);

/** A string of any characters, including ones no UTF-8 text can carry. */
export function anyString(constraints: { minLength?: number; maxLength?: number; size?: fc.SizeForArbitrary } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: anyCharacter, ...constraints });
}

/** Strings up to `maxChars` long (about 100 KB by default): a random chunk repeated. */
export function hugeString(maxChars = 100_000): fc.Arbitrary<string> {
  return fc
    .tuple(anyString({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: maxChars }))
    .map(([chunk, times]) => chunk.repeat(Math.ceil(times / chunk.length)).slice(0, maxChars));
}

/**
 * A secret as config.ts accepts it (`^\S{16,}$`) for WHATSAPP_APP_SECRET and TWILIO_AUTH_TOKEN:
 * Meta's and Twilio's are 32 hex characters, but any non-blank string of 16+ passes.
 *
 * Two kinds of string are left out because HMAC itself cannot tell them apart, whatever the code
 * around it does: a key is zero-padded to the block size, so "k" and "k\0" are the same key, and
 * lone surrogates all encode to the same U+FFFD bytes. Neither can reach the service: environment
 * variables cannot hold NUL, and they are decoded from UTF-8, so they hold no lone surrogate.
 */
export const secret: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{32}$/),
  fc
    .string({ unit: 'binary', minLength: 16, maxLength: 80 })
    .filter((candidate) => /^\S{16,}$/u.test(candidate) && !candidate.includes('\0')),
  fc.string({ unit: 'grapheme', minLength: 16, maxLength: 40 }).filter((candidate) => /^\S{16,}$/u.test(candidate)),
);

/** `count` different secrets. */
export function distinctSecrets(count: number): fc.Arbitrary<string[]> {
  return fc.uniqueArray(secret, { minLength: count, maxLength: count });
}

/** Body bytes: empty, small, or up to 4 KB. */
export const bodyBytes: fc.Arbitrary<Buffer> = fc
  .oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 4096, size: 'max' }))
  .map((bytes) => Buffer.from(bytes));

/** Hex digits, in either case. */
export function hexString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), ...constraints });
}

// ---- Meta's webhook bodies, well formed: built from the items of the real payloads in
// test/fixtures/whatsapp, in batches of N entries × M changes × K messages, statuses and errors.

const fixtureChanges: WaChange[] = FIXTURE_NAMES.flatMap((name) => fixture(name).entry.flatMap((entry) => entry.changes));
const MESSAGES = fixtureChanges.flatMap((change) => change.value.messages ?? []);
const STATUSES = fixtureChanges.flatMap((change) => change.value.statuses ?? []);
const ERRORS = fixtureChanges.flatMap((change) => change.value.errors ?? []);
const CONTACTS = fixtureChanges.flatMap((change) => change.value.contacts ?? []);
const OTHER_FIELDS = fixtureChanges.filter((change) => change.field !== 'messages');

const digits = (length: number) => fc.stringMatching(new RegExp(`^[1-9][0-9]{${length - 1}}$`));
const unixSeconds = fc.integer({ min: 1_600_000_000, max: 1_900_000_000 });
const wamid = fc.base64String({ minLength: 8, maxLength: 60 }).map((id) => `wamid.${id}`);

export const waMessage = fc
  .record({ template: fc.constantFrom(...MESSAGES), id: wamid, timestamp: unixSeconds, from: fc.option(digits(11), { nil: undefined }) })
  .map(({ template, id, timestamp, from }) => {
    // `from` may be missing (username senders): REFERENCE §4.
    const item = { ...template, id, timestamp: String(timestamp) };
    if (from === undefined) delete item.from;
    else item.from = from;
    return item;
  });
export const waStatus = fc
  .record({
    template: fc.constantFrom(...STATUSES),
    id: wamid,
    status: fc.constantFrom('sent', 'delivered', 'read', 'played', 'failed'),
    timestamp: unixSeconds,
  })
  .map(({ template, id, status: value, timestamp }) => ({ ...template, id, status: value, timestamp: String(timestamp) }));
export const waValueError = fc.oneof(
  fc.constantFrom(...ERRORS),
  fc.record({ code: fc.constantFrom(0, 100, 131000, 131047, 131056, 130429, 987654), title: fc.string(), message: fc.string() }),
);

const messagesValue: fc.Arbitrary<WaChangeValue> = fc.record(
  {
    messaging_product: fc.constant('whatsapp' as const),
    metadata: fc.record({ display_phone_number: digits(11), phone_number_id: digits(15) }),
    contacts: fc.array(fc.constantFrom(...CONTACTS), { maxLength: 2 }),
    messages: fc.array(waMessage, { maxLength: 5 }),
    statuses: fc.array(waStatus, { maxLength: 5 }),
    errors: fc.array(waValueError, { maxLength: 3 }),
  },
  { requiredKeys: ['messaging_product', 'metadata'] },
);
const change: fc.Arbitrary<WaChange> = fc.oneof(
  { weight: 3, arbitrary: messagesValue.map((value) => ({ field: 'messages', value })) },
  { weight: 1, arbitrary: fc.constantFrom(...OTHER_FIELDS) },
);
export const waWebhook: fc.Arbitrary<WaWebhook> = fc.record({
  object: fc.constant('whatsapp_business_account'),
  entry: fc.array(
    fc.record({ id: digits(15), time: unixSeconds, changes: fc.array(change, { maxLength: 3 }) }, { requiredKeys: ['id', 'changes'] }),
    { maxLength: 3 },
  ),
});

// ---- Meta's webhook bodies with random, missing and wrong-typed fields at every level, so the
// shape is Meta's often enough to reach every branch of the normaliser.

const junk = fc.jsonValue({ maxDepth: 2 });
function maybeWrong<T>(good: fc.Arbitrary<T>): fc.Arbitrary<T | fc.JsonValue> {
  return fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: junk });
}
/** Any key may be missing. */
function loose<T extends Record<string, fc.Arbitrary<unknown>>>(shape: T) {
  return fc.record(shape, { requiredKeys: [] });
}
const list = <T>(item: fc.Arbitrary<T>) => maybeWrong(fc.array(maybeWrong(item), { maxLength: 5 }));
const anyTimestamp = fc.oneof(
  unixSeconds,
  unixSeconds.map(String),
  fc.maxSafeNat(),
  fc.maxSafeNat().map(String),
  fc.double(),
  fc.string(),
  fc.constantFrom(-1, 0, 1e13, '1e13', '99999999999999', ' ', ''),
);
const text = maybeWrong(fc.string({ maxLength: 12 }));
const badError = loose({
  code: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.constantFrom(131047, '131047', ' 130429 ')),
  title: text,
  message: text,
  error_data: maybeWrong(loose({ details: text })),
});
const badValue = maybeWrong(
  loose({
    metadata: maybeWrong(loose({ display_phone_number: text, phone_number_id: text })),
    contacts: list(loose({ wa_id: text, profile: maybeWrong(loose({ name: text })) })),
    messages: list(loose({ id: text, from: text, timestamp: anyTimestamp, type: maybeWrong(fc.constantFrom('text', 'image', 'new_type')), errors: list(badError) })),
    statuses: list(loose({ id: text, status: text, timestamp: anyTimestamp, recipient_id: text, errors: list(badError) })),
    errors: list(badError),
  }),
);
const badChange = loose({ field: maybeWrong(fc.constantFrom('messages', 'messages', 'account_update', 'calls', '')), value: badValue });
const badEntry = loose({ id: maybeWrong(fc.oneof(digits(15), fc.integer())), time: anyTimestamp, changes: list(badChange) });
export const waWebhookWithWrongFields = maybeWrong(loose({ object: maybeWrong(fc.constant('whatsapp_business_account')), entry: list(badEntry) }));
