import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../observability/logger';
import { HttpError } from './errors';

/**
 * The one place errors become answers. Known errors say what is wrong; anything else is a 500
 * whose body says only "internal error" while the log has the detail.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (error instanceof HttpError) {
      res.status(error.httpStatus).json({ error: error.code, message: error.message });
      return;
    }
    // body-parser's own errors (too large, bad encoding) carry a 4xx status and are safe to name.
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', message: (error as Error).message });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: 'internal_error', message: 'internal error' });
  };
}
