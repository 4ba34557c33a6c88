import { explainError, type ExplainedError } from '../whatsapp/explain-error';

/** The `error` object of a Graph API answer. */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  error_data?: { details?: string };
  fbtrace_id?: string;
}

/**
 * Meta's Graph API refused a request. Carries Meta's own fields, and the catalog's meaning of the
 * code and what to do, so the operator reads the fix rather than a bare number.
 */
export class GraphError extends Error {
  readonly code: number | null;
  readonly subcode: number | null;
  readonly fbtraceId: string | null;
  readonly explained: ExplainedError;
  /** Meta's own words for a person (`error_user_title`/`error_user_msg`): often the most useful part. */
  readonly userMessage: string | null;

  constructor(
    /** The request, such as `POST /106540352242922/request_code`. */
    readonly request: string,
    readonly httpStatus: number,
    body: GraphErrorBody,
  ) {
    const explained = explainError(body);
    super(`${request}: ${body.message ?? `HTTP ${httpStatus}`}`);
    this.name = 'GraphError';
    this.explained = explained;
    this.code = explained.code;
    this.subcode = typeof body.error_subcode === 'number' ? body.error_subcode : null;
    this.fbtraceId = body.fbtrace_id ?? null;
    this.userMessage = [body.error_user_title, body.error_user_msg].filter(Boolean).join(': ') || null;
  }

  /** One line for the operator: the request, Meta's message, code and subcode, and Meta's details. */
  describe(): string {
    const { explained } = this;
    const codes = [explained.code !== null ? `code ${explained.code}` : null, this.subcode !== null ? `subcode ${this.subcode}` : null].filter(Boolean).join(', ');
    const more = [explained.details, this.userMessage].filter(Boolean).join('; ');
    return `Meta refused ${this.message}${codes ? ` (${codes})` : ''}${more ? `: ${more}` : ''}`;
  }
}

/** The Graph API could not be reached, or answered with something that is not Graph JSON. */
export class GraphUnavailableError extends Error {
  constructor(
    readonly request: string,
    reason: string,
  ) {
    super(`${request}: ${reason}`);
    this.name = 'GraphUnavailableError';
  }
}
