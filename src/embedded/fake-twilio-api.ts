import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Arrivals } from './arrivals';
import {
  answerNumberRoute,
  sameSecret,
  seedNumber,
  twilioError,
  type FakeNumber,
  type FakeNumberSeed,
  type FakeTwilioRequest,
  type NumberRoutesState,
} from './fake-twilio-numbers';

export type { FakeCapabilities, FakeNumber, FakeNumberSeed, FakeTwilioRequest } from './fake-twilio-numbers';

/** An SMS as the fake Messages API accepted it. */
export interface ReceivedSms {
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
}

/** A scripted answer: an HTTP status and, for errors, Twilio's error code and message. */
export interface ScriptedAnswer {
  status: number;
  code?: number;
  message?: string;
}

export interface FakeTwilioApi {
  /** For TWILIO_API_BASE_URL. */
  url: string;
  /** Messages answered 201, in order. */
  messages: ReceivedSms[];
  /** Every Messages request, whatever it was answered. */
  attempts: number;
  /** The next requests get these answers, in order; then 201 again. */
  script(answers: ScriptedAnswer[]): void;
  /** Drops what is left of the script: every request is answered 201 again. */
  clearScript(): void;
  /**
   * Takes each message at once, as Twilio queues it once the request has arrived, but answers its
   * 201 only after `ms` (0: at once): a client that dies meanwhile never learns its SMS went out.
   */
  answerAfter(ms: number): void;
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedSms[]>;
  /** The account's numbers: the live state, changed in place by number updates. */
  numbers: FakeNumber[];
  /** Every request outside the Messages API (account, numbers, services), whatever it was answered. */
  requests: FakeTwilioRequest[];
  close(): Promise<void>;
}

/** What the account holds besides the Messages API. */
export interface FakeTwilioOptions {
  /** Numbers on the account, for IncomingPhoneNumbers. */
  numbers?: FakeNumberSeed[];
  /** Messaging Service sids that `GET /v1/Services/{sid}` knows. */
  messagingServiceSids?: string[];
  /** A fixed port, so a fault test can stop the API and bring it back where the service looks. */
  port?: number;
}

/**
 * Twilio's Messages API, as far as wa-onboard uses it, over real HTTP on loopback: it checks the
 * basic auth (AccountSid:AuthToken) and answers with Twilio's JSON shapes, errors included, so the
 * real twilio client can be pointed at it through TWILIO_API_BASE_URL. It also plays the account,
 * its IncomingPhoneNumbers (list, fetch, update) and Messaging Services (fetch), for setting the
 * number's voice webhook; the script applies to Messages only.
 */
export async function startFakeTwilioApi(
  account: { accountSid: string; authToken: string },
  options: FakeTwilioOptions = {},
): Promise<FakeTwilioApi> {
  const messages = new Arrivals<ReceivedSms>('SMS');
  const scripted: ScriptedAnswer[] = [];
  let attempts = 0;
  let answerDelayMs = 0;
  const expectedAuth = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
  const messagesPath = `/2010-04-01/Accounts/${account.accountSid}/Messages.json`;
  const state: NumberRoutesState = {
    accountSid: account.accountSid,
    numbers: (options.numbers ?? []).map(seedNumber),
    messagingServiceSids: [...(options.messagingServiceSids ?? [])],
  };
  const requests: FakeTwilioRequest[] = [];
  const isAuthorized = (req: http.IncomingMessage) => sameSecret(req.headers.authorization ?? '', expectedAuth);

  // Recorded before the auth check, so a test sees even a request that was refused.
  const answerOther = (req: http.IncomingMessage, rawForm: string) => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const form = new URLSearchParams(rawForm);
    requests.push({ method: req.method ?? '', path: url.pathname, form: Object.fromEntries(form) });
    if (!isAuthorized(req)) return twilioError(401, 20003, 'Authenticate');
    return answerNumberRoute(state, req.method ?? '', url, form) ?? twilioError(404, 20404, 'The requested resource was not found');
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const error = (status: number, code: number, message: string) => {
        const answer = twilioError(status, code, message);
        send(answer.status, answer.body);
      };
      if (req.url !== messagesPath) {
        const answer = answerOther(req, Buffer.concat(chunks).toString('utf8'));
        return send(answer.status, answer.body);
      }
      if (!isAuthorized(req)) return error(401, 20003, 'Authenticate');
      if (req.method !== 'POST') return error(404, 20404, 'The requested resource was not found');
      attempts++;
      const answer = scripted.shift();
      if (answer && answer.status >= 300) return error(answer.status, answer.code ?? answer.status, answer.message ?? 'scripted error');
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const sms: ReceivedSms = {
        to: form.get('To') ?? '',
        from: form.get('From') ?? undefined,
        messagingServiceSid: form.get('MessagingServiceSid') ?? undefined,
        body: form.get('Body') ?? '',
      };
      messages.push(sms);
      const accepted = {
        sid: `SM${String(messages.items.length).padStart(32, '0')}`,
        account_sid: account.accountSid,
        to: sms.to,
        from: sms.from ?? null,
        messaging_service_sid: sms.messagingServiceSid ?? null,
        body: sms.body,
        status: 'queued',
        date_created: new Date().toUTCString(),
      };
      if (answerDelayMs === 0) send(201, accepted);
      else setTimeout(() => !res.destroyed && send(201, accepted), answerDelayMs);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    messages: messages.items,
    get attempts() {
      return attempts;
    },
    script: (answers) => scripted.push(...answers),
    clearScript: () => scripted.splice(0),
    answerAfter: (ms) => {
      answerDelayMs = ms;
    },
    waitForMessages: (count, timeoutMs) => messages.waitFor(count, timeoutMs),
    numbers: state.numbers,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
