/** A number already on the WABA when the fake starts. */
export interface FakePhoneSeed {
  id: string;
  /** As Meta shows it, e.g. '+1 555-010-0199'. */
  displayPhoneNumber: string;
  verifiedName?: string;
  codeVerificationStatus?: 'NOT_VERIFIED' | 'VERIFIED' | 'EXPIRED';
  status?: string;
}

/** A number on the WABA: the live state the fake reads and changes. */
export interface FakePhone {
  id: string;
  displayPhoneNumber: string;
  /** The display number's digits, which is how Meta tells two numbers apart. */
  digits: string;
  verifiedName: string;
  codeVerificationStatus: 'NOT_VERIFIED' | 'VERIFIED' | 'EXPIRED';
  status: string;
  /** The last code issued by request_code. */
  code: string | null;
  /** The two-step verification pin, set by the first successful register. */
  pin: string | null;
  webhookOverride: { callbackUri: string; verifyToken: string } | null;
  /** Every register request for this number, refused ones included: Meta's 10-per-72-hours limit counts attempts. */
  registerCalls: number;
  /** GETs left that read PENDING before the number reads CONNECTED; null when no register is settling. */
  pendingPolls: number | null;
}

/** A request as the fake received it. */
export interface GraphRequest {
  method: string;
  /** Without the `/vNN.0` prefix. */
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  token: string | null;
}

/** A Graph error to answer with; httpStatus defaults to 401 for code 190 and 400 otherwise. */
export interface GraphErrorSpec {
  code: number;
  message: string;
  httpStatus?: number;
  subcode?: number;
  type?: string;
  details?: string;
}

export interface FakeGraphOptions {
  /** e.g. 'v26.0'; other prefixes are refused with code 100. */
  version: string;
  /** The system user token, as `Authorization: Bearer` or `access_token` in the query or body. */
  accessToken: string;
  /** The app token `${appId}|${appSecret}` is what `/{appId}/subscriptions` requires. */
  appId: string;
  appSecret: string;
  wabaId: string;
  /** Numbers already on the WABA. */
  phoneNumbers?: FakePhoneSeed[];
  /** Meta's robot, started after a VOICE request_code is answered; its errors land in `robotErrors`. */
  onVoiceCall?: (call: { code: string; phoneNumber: string; language: string }) => Promise<void>;
  /** How many GETs of a number read PENDING after a successful register (default 1). */
  pollsUntilConnected?: number;
  /** Maps a callback URL before the subscription check fetches it, e.g. a public URL to the local listener. */
  rewriteCallbackUrl?: (url: string) => string;
}

export interface FakeGraphApi {
  /** Base URL without the version, e.g. http://127.0.0.1:PORT. */
  url: string;
  requests: GraphRequest[];
  phoneNumbers: FakePhone[];
  /** App ids subscribed to the WABA. */
  subscribedApps: string[];
  appSubscriptions: Array<{ object: string; callback_url: string; fields: string[]; active: boolean }>;
  /** The WABA-level override set through `POST /{wabaId}/subscribed_apps`, if any. */
  readonly wabaWebhookOverride: string | null;
  robotErrors: unknown[];
  /** The next request whose path ends with `pathSuffix` fails with this error instead of being handled. */
  failNext(pathSuffix: string, error: GraphErrorSpec): void;
  /** Resolves when every onVoiceCall started so far has settled. */
  waitForRobot(): Promise<void>;
  close(): Promise<void>;
}

/** Parameters of a request: its query and body merged, the body winning. */
export type Params = Record<string, unknown>;
/** The fake's state as the handlers see it: what the test sees, plus what only the fake needs. */
export type Ctx = FakeGraphApi & { options: FakeGraphOptions; robots: Array<Promise<void>>; wabaOverride: string | null };
/** What a handler answers with, as the 200 body; a thrown GraphError becomes Meta's error JSON instead. */
export type Answer = object | Promise<object>;
