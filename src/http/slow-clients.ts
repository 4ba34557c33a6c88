import type { Socket } from 'node:net';

/**
 * How long a client may take to send a request. Node's own limits (300 s for a request, 60 s for
 * its headers) let a stranger hold a connection and its memory for minutes with a byte at a time.
 * Twilio's requests are a few hundred bytes and Meta's at most 3 MB, sent at once by their servers:
 * seconds are plenty, and Twilio gives up on us after 15 s anyway.
 */
export interface RequestDeadlines {
  /** From the connection (or the previous request) to the end of the headers. */
  headersMs: number;
  /** From the start of a request to the end of its body. */
  requestMs: number;
  /** How often Node looks for requests past their deadline: a request is cut at most this late. */
  checkEveryMs: number;
}

export const REQUEST_DEADLINES: RequestDeadlines = { headersMs: 10_000, requestMs: 30_000, checkEveryMs: 1_000 };

const REQUEST_TIMEOUT =
  'HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nContent-Length: 22\r\nConnection: close\r\n\r\nrequest took too long\n';
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/**
 * The server's `clientError` listener: what Node does by itself (a 408 for a request past its
 * deadline, a 400 for one it cannot parse, then the connection is closed), and a count of the
 * requests cut for being slow, so an operator can see someone trickling bytes at the service.
 */
export function answerClientError(onSlowRequest: () => void): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    const slow = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (slow) onSlowRequest();
    // Only a client that has had no answer yet can be given one: otherwise it would arrive in the
    // middle of (or after) another response.
    if (socket.writable && socket.bytesWritten === 0) socket.write(slow ? REQUEST_TIMEOUT : BAD_REQUEST);
    socket.destroy(error);
  };
}
