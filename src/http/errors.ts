/** An error with the HTTP status and stable `code` the error middleware answers with. */
export class HttpError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** No or wrong credentials for `/api/*`. */
export class UnauthorizedError extends HttpError {
  constructor(message = 'send Authorization: Bearer <ADMIN_TOKEN>') {
    super(401, 'unauthorized', message);
  }
}

/** A request whose shape we cannot use (the message says what is wrong). */
export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, 'bad_request', message);
  }
}

/** Credentials that were given and are wrong, where the caller is not using the admin token. */
export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** Too many failed attempts at the admin token from one client: it waits, or is turned away. */
export class TooManyRequestsError extends HttpError {
  constructor(message: string) {
    super(429, 'too_many_requests', message);
  }
}

/** A body in a form we do not read (a POST to /api/* must be JSON). */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}
