import type { ForwardJob } from '../store/webhook-store';
import type { WhatsAppEvent } from './event';
import { signPayload } from './sign';
import { recordedTarget } from './target-name';

/** Where events go: a URL, or a handler running in this process. */
export interface Sink {
  /** Stable name, recorded with each forward (the URL, or `in-process`). */
  target: string;
  /**
   * Resolves once the target has the event; rejects with `ForwardError` (or anything: retried).
   * `signal` aborts it when the service stops: the event stays owed and goes out after the restart.
   */
  deliver(job: ForwardJob, signal: AbortSignal): Promise<void>;
}

/**
 * A failed forward; `permanent` when the target refused this event for good, `httpStatus` the
 * target's answer when one came (kept on a dead letter).
 */
export class ForwardError extends Error {
  constructor(
    message: string,
    readonly options: { permanent: boolean; httpStatus?: number },
  ) {
    super(message);
    this.name = 'ForwardError';
  }

  get permanent(): boolean {
    return this.options.permanent;
  }

  get httpStatus(): number | null {
    return this.options.httpStatus ?? null;
  }
}

export const FORWARD_SIGNATURE_HEADER = 'x-wa-onboard-signature-256';

// Answers that a person fixes on the receiving side (auth, a route not deployed yet) or that say
// "later" are retried; any other 4xx says this event will never be taken, so the lane moves on.
const RETRIED_CLIENT_ERRORS = new Set([401, 403, 404, 408, 409, 425, 429]);

/**
 * POSTs each event as JSON, signed with `X-Wa-Onboard-Signature-256: sha256=<hex HMAC-SHA256>`
 * over the exact body, with `Idempotency-Key` set to the event id so a receiver can drop the
 * copies that at-least-once delivery implies.
 */
export function urlSink(url: string, secret: string, options: { timeoutMs: number }): Sink {
  const { endpoint, authorization } = splitCredentials(url);
  return {
    // Recorded with each forward: without the credentials, so rotating a password keeps the backlog
    // (and the database holds no password).
    target: endpoint,
    async deliver(job, signal) {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'wa-onboard',
            'idempotency-key': job.eventId,
            [FORWARD_SIGNATURE_HEADER]: signPayload(secret, job.body),
            ...(authorization ? { authorization } : {}),
          },
          body: job.body,
          // A followed 301/302 turns the POST into a bodiless GET that may well answer 200: the
          // event would count as delivered and be lost. A redirect is a failure to fix instead.
          redirect: 'manual',
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
        });
      } catch (error) {
        throw new ForwardError(`could not reach the target: ${causeOf(error)}`, { permanent: false });
      }
      await discardReply(response);
      if (response.ok) return;
      const permanent = response.status >= 400 && response.status < 500 && !RETRIED_CLIENT_ERRORS.has(response.status);
      throw new ForwardError(`the target answered HTTP ${response.status}`, { permanent, httpStatus: response.status });
    },
  };
}

/**
 * Runs the team's own code on each event, in process. A throw, or no answer within `timeoutMs`
 * (the handler's signal then aborts), is retried like a failed POST.
 */
export function handlerSink(
  onEvent: (event: WhatsAppEvent, signal: AbortSignal) => unknown,
  options: { timeoutMs: number },
): Sink {
  return {
    target: 'in-process',
    async deliver(job, stopping) {
      const signal = AbortSignal.any([stopping, AbortSignal.timeout(options.timeoutMs)]);
      let onAbort = () => undefined as void;
      const aborted = new Promise<never>((_resolve, reject) => {
        onAbort = () => reject(signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([Promise.resolve(onEvent(JSON.parse(job.body) as WhatsAppEvent, signal)), aborted]);
      } catch (error) {
        throw new ForwardError(`the onEvent handler ${signal.aborted ? 'did not finish' : 'threw'}: ${causeOf(error)}`, {
          permanent: false,
        });
      } finally {
        // An abort after the handler settled must not reject a promise no one awaits any more.
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** The most of a target's reply read: a small reply ends cleanly (its connection then carries the next event). */
const REPLY_BYTES_READ = 4 * 1024;

/**
 * Reads a reply's body up to REPLY_BYTES_READ, then cancels the rest (closing its connection): the
 * status already said what became of the event, and a reply that is huge or never ends would
 * otherwise be held in memory, and hold the lane, until the forward's timeout. Its text is never
 * kept: a receiver that echoes what it got would put customers' messages in the logs.
 */
async function discardReply(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (let read = 0; read <= REPLY_BYTES_READ; ) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // Cut off by the timeout, the stop or a reset: the status is what counts.
  }
}

/** `fetch` refuses URLs with credentials: they travel as basic auth instead. */
function splitCredentials(url: string): { endpoint: string; authorization?: string } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { endpoint: url };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  return { endpoint: recordedTarget(url), authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** Why a fetch failed, in a few words. Read by shape: fetch's errors may come from another realm. */
function causeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { name, message, cause } = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (name === 'TimeoutError') return 'timed out';
  if (name === 'AbortError') return 'stopped with the service';
  return cause?.code ?? cause?.message ?? message ?? 'unknown error';
}
