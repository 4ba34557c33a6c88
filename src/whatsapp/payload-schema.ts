import { z } from 'zod';

// What we read of Meta's webhook payload, and nothing more: every object is loose (unknown keys
// pass through untouched into `data`), and the fields of an item fall back to undefined rather
// than refuse the item, so a type or field Meta adds tomorrow is passed on, never refused.
// Shapes: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components

const text = z.string().optional().catch(undefined);
const seconds = z.union([z.string(), z.number()]).optional().catch(undefined);

/** The envelope; entries and changes are read one by one, so one we cannot read spoils no other. */
export const envelopeSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.unknown()),
});

export const entrySchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  time: seconds,
  changes: z.array(z.unknown()),
});

export const changeSchema = z.looseObject({ field: z.string(), value: z.unknown() });

const metadata = z
  .looseObject({ display_phone_number: text, phone_number_id: text })
  .optional()
  .catch(undefined);

/** Where any value says it belongs, when it says so (`metadata`), whatever else it holds. */
export const valueMetadataSchema = z.looseObject({ metadata }).catch({ metadata: undefined });

/** The value of a `messages` change; its lists are checked as lists, their items one by one. */
export const messagesValueSchema = z.looseObject({
  metadata,
  contacts: z.array(z.unknown()).optional().catch(undefined),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});

export const contactSchema = z.looseObject({
  wa_id: text,
  profile: z.looseObject({ name: text }).optional().catch(undefined),
});

/** What an edit or a revoke points at: the message edited or deleted. */
const original = z.looseObject({ original_message_id: text }).optional().catch(undefined);

export const messageSchema = z.looseObject({
  id: text,
  from: text,
  timestamp: seconds,
  type: text,
  edit: original,
  revoke: original,
  errors: z.array(z.unknown()).optional().catch(undefined),
});

export const statusSchema = z.looseObject({
  id: text,
  status: text,
  timestamp: seconds,
  recipient_id: text,
  errors: z.array(z.unknown()).optional().catch(undefined),
});

/** Items that are not objects at all still become events; these read them as empty objects. */
export function parseItem<T extends z.ZodType>(schema: T, item: unknown): z.infer<T> {
  const parsed = schema.safeParse(item);
  return parsed.success ? parsed.data : schema.parse({});
}
