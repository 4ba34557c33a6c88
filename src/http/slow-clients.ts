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

/** Node's own answers to a request it could not take (lib/_http_server.js), kept as they are. */
const ANSWERS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/** The response in flight on a socket, as Node's HTTP server tracks it. */
type ServerSocket = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * The server's `clientError` listener. A listener replaces Node's own handling, so this does what
 * Node does (a 408 for a request past its deadline, a 431 for headers too large, a 400 for a
 * request it cannot parse, then the connection is closed), and counts the requests cut for being
 * slow, so an operator can see someone trickling bytes at the service.
 */
export function answerClientError(onSlowRequest: () => void): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') onSlowRequest();
    // As Node: an answer only where no response has begun on this connection, or it would land in
    // the middle of one.
    const inFlight = (socket as ServerSocket)._httpMessage;
    if (socket.writable && !inFlight?.headersSent) socket.write(ANSWERS[error.code ?? ''] ?? BAD_REQUEST);
    socket.destroy(error);
  };
}
