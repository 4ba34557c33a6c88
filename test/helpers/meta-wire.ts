import fs from 'node:fs';
import path from 'node:path';
import { toMetaWire } from '../../src/embedded/meta-wire';

// Meta's WhatsApp webhook bodies, as Meta puts them on the wire.
//
// Meta signs (X-Hub-Signature-256) and sends an escaped form of the JSON: compact, every
// non-ASCII character as a lowercase \uXXXX escape (UTF-16, so an emoji is a surrogate pair)
// and "/" as "\/". A receiver that parses and re-serialises the body gets different bytes and a
// different HMAC, so tests must sign and send exactly these bytes. The fixture files are stored
// pretty-printed, readable UTF-8; `fixtureWire` produces the wire form from them.

/** Where the fixture files live: test/fixtures/whatsapp/<name>.json. */
export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'whatsapp');

// Loose shapes of a webhook body: what every fixture has, plus `unknown` for everything else, so
// variants can be built without `any` and nothing Meta adds is rejected by the type.
export interface WaError {
  code: number;
  title: string;
  message?: string;
  error_data?: { details: string };
  href?: string;
}

export interface WaMetadata {
  display_phone_number: string;
  phone_number_id: string;
}

export interface WaContact {
  profile?: { name: string };
  wa_id: string;
  [key: string]: unknown;
}

export interface WaMessage {
  /** Missing for some senders (usernames): never require it. */
  from?: string;
  id: string;
  timestamp: string;
  type: string;
  context?: { from?: string; id?: string; forwarded?: boolean; frequently_forwarded?: boolean };
  errors?: WaError[];
  [key: string]: unknown;
}

export interface WaStatus {
  id: string;
  status: string;
  timestamp: string;
  recipient_id: string;
  conversation?: { id: string; expiration_timestamp?: string; origin?: { type: string } };
  pricing?: { billable: boolean; pricing_model: string; type?: string; category: string };
  errors?: WaError[];
  [key: string]: unknown;
}

export interface WaChangeValue {
  messaging_product?: 'whatsapp';
  metadata?: WaMetadata;
  contacts?: WaContact[];
  messages?: WaMessage[];
  statuses?: WaStatus[];
  errors?: WaError[];
  /** Non-"messages" fields (templates, quality, account) carry an event. */
  event?: string;
  [key: string]: unknown;
}

export interface WaChange {
  field: string;
  value: WaChangeValue;
}

export interface WaEntry {
  /** The WhatsApp Business Account id. */
  id: string;
  /** Unix seconds, a number; present on non-"messages" fields. */
  time?: number;
  changes: WaChange[];
}

export interface WaWebhook {
  object: string;
  entry: WaEntry[];
}

export { toMetaWire };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the envelope every fixture must have, then lets callers use the typed view. */
function asWebhook(value: unknown, name: string): WaWebhook {
  if (!isRecord(value) || typeof value.object !== 'string' || !Array.isArray(value.entry)) {
    throw new Error(`fixture ${name}: not a webhook envelope { object, entry[] }`);
  }
  for (const entry of value.entry) {
    if (!isRecord(entry) || typeof entry.id !== 'string' || !Array.isArray(entry.changes)) {
      throw new Error(`fixture ${name}: entry without id or changes[]`);
    }
    for (const change of entry.changes) {
      if (!isRecord(change) || typeof change.field !== 'string' || !isRecord(change.value)) {
        throw new Error(`fixture ${name}: change without field or value`);
      }
    }
  }
  return value as unknown as WaWebhook;
}

/** Every fixture name, for table tests. */
export const FIXTURE_NAMES: string[] = fs
  .readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.slice(0, -'.json'.length))
  .sort();

function fixturePath(name: string): string {
  if (!FIXTURE_NAMES.includes(name)) {
    throw new Error(`no WhatsApp fixture "${name}"; have: ${FIXTURE_NAMES.join(', ')}`);
  }
  return path.join(FIXTURE_DIR, `${name}.json`);
}

/** The parsed fixture, a fresh copy on every call (for building variants). */
export function fixture(name: string): WaWebhook {
  return asWebhook(JSON.parse(fs.readFileSync(fixturePath(name), 'utf8')), name);
}

/** Reads test/fixtures/whatsapp/<name>.json and returns it in wire form (a Buffer of ASCII bytes). */
export function fixtureWire(name: string): Buffer {
  return Buffer.from(toMetaWire(fixture(name)), 'ascii');
}
