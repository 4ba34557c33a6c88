/**
 * A failed send, classified. `permanent` failures are recorded and never retried (a bad number,
 * a refused mailbox); the others are retried with backoff. `message` is a plain explanation an
 * operator can act on, and never holds the code.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly options: { permanent: boolean },
  ) {
    super(message);
    this.name = 'DeliveryError';
  }

  get permanent(): boolean {
    return this.options.permanent;
  }
}
