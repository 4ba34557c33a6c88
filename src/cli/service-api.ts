import { whyFetchFailed } from '../http/fetch-failure';
import type { CodeView } from '../store/call-store';
import type { WebhookOverview } from '../whatsapp/overview';
import type { WhatsAppEvent } from '../whatsapp/event';

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

  private async get<T>(pathAndQuery: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.baseUrl + pathAndQuery, {
        headers: { authorization: `Bearer ${this.adminToken}` },
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new ServiceApiError(
        `could not reach the service at ${this.baseUrl}: ${whyFetchFailed(error)}`,
        'Start the service (npm start), or pass --url with where it listens.',
      );
    }
    if (response.status === 401) {
      throw new ServiceApiError(`${this.baseUrl} refused ADMIN_TOKEN`, "Use the same ADMIN_TOKEN as the running service (see its .env).");
    }
    if (!response.ok) {
      throw new ServiceApiError(`${this.baseUrl}${pathAndQuery.split('?')[0]} answered HTTP ${response.status}`, "Read the service's log.");
    }
    return (await response.json()) as T;
  }
}
