/** An ISO 8601 date, or date and time (with seconds and a zone or not), as a request may give one. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The time `text` names, or null when it is not an ISO 8601 time (`Date.parse` alone takes far more). */
export function readIsoTime(text: string): Date | null {
  const at = ISO_TIME.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? null : new Date(at);
}
