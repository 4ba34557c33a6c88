import { whyFetchFailed } from '../http/fetch-failure';
import type { CodeView } from '../store/call-store';
import type { DeadLetterStatus } from '../store/webhook-store';
import type { DeadLetterPage } from '../whatsapp/dead-letter-list';
import type { WebhookOverview } from '../whatsapp/overview';
import type { WhatsAppEvent } from '../whatsapp/event';
import type { ReplayRequest } from '../whatsapp/replay';

/** The running service refused or could not be reached; `fix` says what to check. */
export class ServiceApiError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'ServiceApiError';
  }
}

/** The service answered 400: what the command was asked is wrong, and the service says why. */
export class ServiceRefusedError extends ServiceApiError {
  constructor(message: string, fix: string) {
    super(message, fix);
    this.name = 'ServiceRefusedError';
  }
}

export interface DeadLetterQuery {
  target?: string;
  status?: DeadLetterStatus;
  limit: number;
  /** `next` of the page before. */
  before?: string;
}

/**
 * A replay or a backfill answers once every forward is queued, a batch of 1,000 at a time: a
 * million take minutes, and giving up early would not stop the service.
 */
const QUEUE_TIMEOUT_MS = 30 * 60_000;

/** The admin API (`/api/*`) of a running wa-onboard, as the command reads it. */
export class ServiceApi {
  constructor(
    private readonly baseUrl: string,
    private readonly adminToken: string,
  ) {}

  /** The latest codes the service captured, newest first. */
  async codes(limit = 20): Promise<CodeView[]> {
    return (await this.get<{ codes: CodeView[] }>(`/api/codes?limit=${limit}`)).codes;
  }

  /** The latest events from Meta's webhook, newest first. */
  async events(limit = 50): Promise<WhatsAppEvent[]> {
    return (await this.get<{ events: WhatsAppEvent[] }>(`/api/events?limit=${limit}`)).events;
  }

  /** The webhook's counts, backlog and latest failures. */
  overview(): Promise<WebhookOverview> {
    return this.get<WebhookOverview>('/api/webhook');
  }

  /** One page of dead letters, newest first. */
  deadLetters(query: DeadLetterQuery): Promise<DeadLetterPage> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    for (const name of ['target', 'status', 'before'] as const) {
      const value = query[name];
      if (value !== undefined) params.set(name, value);
    }
    return this.get<DeadLetterPage>(`/api/dead-letters?${params.toString()}`);
  }

  /** Queues dead letters again; resolves once all are queued. */
  replay(request: ReplayRequest): Promise<{ queued: number }> {
    return this.post('/api/dead-letters/replay', request);
  }

  /** Queues to `target` every stored event since `since` (ISO) it has not received; resolves once all are queued. */
  backfill(request: { target: string; since: string }): Promise<{ queued: number }> {
    return this.post('/api/forwards/backfill', request);
  }

  private get<T>(pathAndQuery: string): Promise<T> {
    return this.request<T>(pathAndQuery, { headers: { authorization: `Bearer ${this.adminToken}` }, signal: AbortSignal.timeout(15_000) });
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(QUEUE_TIMEOUT_MS),
    });
  }

  private async request<T>(pathAndQuery: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.baseUrl + pathAndQuery, init);
    } catch (error) {
      throw new ServiceApiError(
        `could not reach the service at ${this.baseUrl}: ${whyFetchFailed(error)}`,
        'Start the service (npm start), or pass --url with where it listens.',
      );
    }
    if (response.status === 401) {
      throw new ServiceApiError(`${this.baseUrl} refused ADMIN_TOKEN`, "Use the same ADMIN_TOKEN as the running service (see its .env).");
    }
    const path = pathAndQuery.split('?')[0];
    if (response.status === 400) {
      const message = ((await response.json().catch(() => ({}))) as { message?: unknown }).message;
      throw new ServiceRefusedError(
        `the service refused: ${typeof message === 'string' ? message : 'bad request'}`,
        'Change what was asked (see --help); the targets are those of FORWARD_URL on the running service.',
      );
    }
    if (response.status === 404) {
      throw new ServiceApiError(`${this.baseUrl}${path} answered HTTP 404`, 'The service may be an older release: upgrade it, or pass --url with where this one listens.');
    }
    if (!response.ok) {
      throw new ServiceApiError(`${this.baseUrl}${path} answered HTTP ${response.status}`, "Read the service's log.");
    }
    return (await response.json()) as T;
  }
}
