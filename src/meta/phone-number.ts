import { parsePhoneNumberWithError } from 'libphonenumber-js/min';

/** An E.164 number as Meta's `POST /{WABA_ID}/phone_numbers` wants it: country code apart. */
export interface SplitNumber {
  /** Country calling code, such as "1" or "44". */
  cc: string;
  /** The national number, digits only. */
  phoneNumber: string;
}

/**
 * Splits `+14155550123` into `{ cc: '1', phoneNumber: '4155550123' }`. Country codes run from one
 * to three digits and are not a fixed length, so this leans on libphonenumber's metadata.
 */
export function splitE164(e164: string): SplitNumber {
  const parsed = parsePhoneNumberWithError(e164);
  return { cc: parsed.countryCallingCode, phoneNumber: parsed.nationalNumber };
}

/** The digits of a number however Meta formats it ("+1 555-010-0199", "15550100199"). */
export function digitsOf(number: string): string {
  return number.replace(/\D/g, '');
}

/** Meta writes language codes with an underscore (en_US); our Gather's language uses a hyphen (en-US). */
export function metaLanguage(tag: string): string {
  return tag.replace(/-/g, '_');
}
