/**
 * Why a `fetch` threw, in a few words: "no answer in time", or the network error's code
 * (ECONNREFUSED, ENOTFOUND, ...) that undici hides in `cause`. Read by shape, not `instanceof`:
 * fetch's errors can come from another realm (a test runner's sandbox, for one).
 */
export function whyFetchFailed(error: unknown): string {
  const { name, message, cause } = (error ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } };
  if (name === 'TimeoutError') return 'no answer in time';
  // This one quotes the header's value, which is a token: name the problem, never the value.
  if (message?.includes('invalid header value')) return 'a header value holds a character HTTP does not allow (check the token for stray characters)';
  // Several addresses tried (IPv4 and IPv6): an AggregateError holds each one's code.
  // Refusals without a code ("bad port") say why in the cause's message.
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? message ?? String(error);
}
