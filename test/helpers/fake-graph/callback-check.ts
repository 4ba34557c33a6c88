import crypto from 'node:crypto';
import { fail } from './errors';

/** Meta's check of a callback: a GET that must answer 200 with exactly the challenge. */
export async function checkCallback(url: string, verifyToken: string, rewrite: (url: string) => string): Promise<void> {
  const challenge = String(crypto.randomInt(1, 2 ** 31));
  const target = new URL(rewrite(url));
  // Never off the machine: a callback on the public internet would make a unit test reach out.
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    fail(2200, `Callback verification failed with the following errors: the fake only reaches loopback, not ${target.host}`);
  }
  target.searchParams.set('hub.mode', 'subscribe');
  target.searchParams.set('hub.challenge', challenge);
  target.searchParams.set('hub.verify_token', verifyToken);
  const answer = await fetch(target, { signal: AbortSignal.timeout(5_000) }).catch((e: unknown) =>
    fail(2200, `Callback verification failed with the following errors: curl_error = ${(e as Error).message}; HTTP Status Code = 0`),
  );
  const body = await answer.text();
  if (answer.status !== 200 || body !== challenge) {
    fail(
      2200,
      `Callback verification failed with the following errors: HTTP Status Code = ${answer.status}; HTTP Message = ${answer.statusText}` +
        (answer.status === 200 ? `; Response does not match challenge, expected value="${challenge}", received="${body.slice(0, 64)}"` : ''),
    );
  }
}
