import { whyFetchFailed } from '../http/fetch-failure';
import { GraphError, GraphUnavailableError, type GraphErrorBody } from './graph-error';

export interface GraphClientOptions {
  /** Such as https://graph.facebook.com (or a local stand-in in tests). */
  graphUrl: string;
  /** Such as v26.0. */
  version: string;
  /** Sent as a bearer token: a system user's token, or the app token `APP_ID|APP_SECRET`. */
  token: string;
  timeoutMs?: number;
}

export type GraphQuery = Record<string, string>;

/** The few calls the onboarding makes: a GET with a query, a POST with a JSON body. */
export interface GraphClient {
  get<T>(path: string, query?: GraphQuery): Promise<T>;
  post<T>(path: string, body?: Record<string, unknown>): Promise<T>;
}

/**
 * A thin Graph API client on `fetch`. The token travels in the Authorization header, never in a
 * URL, so it cannot land in a proxy's access log. Every refusal becomes a {@link GraphError}.
 */
export function createGraphClient(options: GraphClientOptions): GraphClient {
  const base = `${options.graphUrl.replace(/\/+$/, '')}/${options.version}`;
  const timeoutMs = options.timeoutMs ?? 30_000;

  const call = async <T>(method: 'GET' | 'POST', path: string, query?: GraphQuery, body?: Record<string, unknown>) => {
    const request = `${method} ${path}`;
    const url = `${base}${path}${query && Object.keys(query).length > 0 ? `?${new URLSearchParams(query).toString()}` : ''}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new GraphUnavailableError(request, `could not reach ${options.graphUrl}: ${whyFetchFailed(error)}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new GraphUnavailableError(request, `HTTP ${response.status} with a body that is not JSON`);
    }
    const error = (parsed as { error?: GraphErrorBody } | null)?.error;
    if (!response.ok || error) throw new GraphError(request, response.status, error ?? {});
    return parsed as T;
  };

  return {
    get: (path, query) => call('GET', path, query),
    post: (path, body) => call('POST', path, undefined, body ?? {}),
  };
}
