import { ERROR_CATALOG, type CatalogEntry } from './error-catalog';

/** An error as Meta reports it in statuses[].errors, value.errors, messages[].errors or a Graph answer's `error`. */
export interface MetaError {
  code?: number;
  title?: string;
  message?: string;
  error_data?: { details?: string };
  href?: string;
}

/** A Meta error with what it means and what to do, ready for logs, the store and the operator. */
export interface ExplainedError {
  /** Meta's code; null when the error had none, or none that is a whole number. */
  code: number | null;
  title: string | null;
  message: string | null;
  /** `error_data.details`: Meta's most specific explanation of this occurrence. */
  details: string | null;
  meaning: string;
  action: string;
  /** True when sending the same request again later can succeed. */
  transient: boolean;
  /** False when the code is not in our catalog (meaning/action then say where to look). */
  known: boolean;
}

/** Meta's page of Cloud API error codes: where the operator looks up a code we do not know. */
export const ERROR_CODES_DOC = 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes';

/** Meta documents 200-299 as one range ("API Permission"), not code by code. */
const PERMISSION_RANGE: CatalogEntry = {
  meaning: 'The access token lacks a permission this call needs, or the permission was removed.',
  action: "Check the token in Meta's Access Token Debugger and grant the missing permission.",
  transient: false,
};

/**
 * Explains one error from a webhook or a Graph answer. Keyed on `code` alone (a number or a numeric
 * string), never on `title` or `message`, as Meta asks; `details` comes from `error_data.details`.
 * Never throws: anything that is not an error object is explained as an error without a code.
 */
export function explainError(error: unknown): ExplainedError {
  const fields = isRecord(error) ? error : {};
  const code = codeOf(fields.code);
  return {
    code,
    title: textOf(fields.title),
    message: textOf(fields.message),
    details: isRecord(fields.error_data) ? textOf(fields.error_data.details) : null,
    ...explanationOf(code),
  };
}

/** Explains each error of an `errors` array; anything that is not an array gives none. */
export function explainErrors(errors: unknown): ExplainedError[] {
  return Array.isArray(errors) ? errors.map((error) => explainError(error)) : [];
}

function explanationOf(code: number | null): CatalogEntry & { known: boolean } {
  if (code === null) {
    return {
      meaning: 'Meta reported an error without a code we know.',
      action: `Read its title, message and details, and see ${ERROR_CODES_DOC}.`,
      transient: false,
      known: false,
    };
  }
  const entry = ERROR_CATALOG.get(code) ?? (code >= 200 && code <= 299 ? PERMISSION_RANGE : undefined);
  if (entry) return { meaning: entry.meaning, action: entry.action, transient: entry.transient, known: true };
  return {
    meaning: `Meta reported error code ${code}, which our catalog does not list.`,
    action: `Look up code ${code} at ${ERROR_CODES_DOC}.`,
    transient: false,
    known: false,
  };
}

/** Meta sends codes as numbers; some relays (and stored payloads) turn them into strings. */
function codeOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value === 'string' && /^\s*\d{1,15}\s*$/.test(value)) return Number(value.trim());
  return null;
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
