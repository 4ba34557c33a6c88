import type http from 'node:http';
import { errorAnswer, fail, GraphError } from './errors';
import { parseBody, tokenOf } from './request';
import { route } from './route';
import type { Ctx, GraphErrorSpec, GraphRequest } from './types';

/** A failure queued by `failNext`, for the next request whose path ends with `suffix`. */
export type Failure = { suffix: string; error: GraphErrorSpec };

/** Records the request and answers it: a queued failure, Meta's error JSON, or the route's 200 body. Never rejects. */
export async function handle(ctx: Ctx, failures: Failure[], req: http.IncomingMessage, raw: string) {
  const url = new URL(req.url ?? '/', 'http://graph.invalid');
  const prefix = `/${ctx.options.version}/`;
  const versioned = url.pathname.startsWith(prefix);
  const query = Object.fromEntries(url.searchParams);
  const request: GraphRequest = { method: req.method ?? '', path: versioned ? url.pathname.slice(prefix.length - 1) : url.pathname, query, body: {}, token: null };
  try {
    request.body = parseBody(raw, req.headers['content-type'] ?? '');
  } catch (e) {
    ctx.requests.push(request);
    return errorAnswer((e as GraphError).spec);
  }
  request.token = tokenOf(req.headers, query, request.body);
  ctx.requests.push(request);
  try {
    const failure = failures.findIndex((f) => request.path.endsWith(f.suffix));
    if (failure >= 0) return errorAnswer(failures.splice(failure, 1)[0]!.error);
    if (!versioned) fail(100, `Unknown path components: ${url.pathname}`);
    return { status: 200, body: await route(ctx, request) };
  } catch (e) {
    if (e instanceof GraphError) return errorAnswer(e.spec);
    return errorAnswer({ code: 1, message: 'An unknown error occurred', httpStatus: 500, type: 'OAuthException', details: String(e) });
  }
}
