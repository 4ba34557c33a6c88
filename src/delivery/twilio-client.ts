import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';

type TwilioClient = ReturnType<typeof twilio>;

/**
 * twilio-node has no base-URL setting: its `edge` and `region` only rename the twilio.com host.
 * To reach a proxy or a local stand-in we hand it an HTTP client that moves every request to
 * `apiBaseUrl`, keeping the path and query it built.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: URL) {
    super({ timeout: 15_000 });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = new URL(opts.uri);
    uri.protocol = this.base.protocol;
    uri.host = this.base.host;
    uri.pathname = this.base.pathname.replace(/\/$/, '') + uri.pathname;
    return super.request<TData>({ ...opts, uri: uri.toString() });
  }
}

export function createTwilioClient(options: { accountSid: string; authToken: string; apiBaseUrl: string }): TwilioClient {
  const base = new URL(options.apiBaseUrl);
  const isTwilio = base.hostname === 'api.twilio.com' && base.pathname === '/';
  return twilio(options.accountSid, options.authToken, {
    httpClient: isTwilio ? undefined : new RebasedRequestClient(base),
  });
}
