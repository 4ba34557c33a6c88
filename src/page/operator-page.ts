import { Router, type Request, type RequestHandler } from 'express';
import type { Clock } from '../delivery/ports';
import { TooManyRequestsError } from '../http/errors';
import type { Logger } from '../observability/logger';
import type { SessionStore } from '../store/session-store';
import type { CallStore } from '../store/call-store';
import type { WebhookStore } from '../store/webhook-store';
import { AdminSessions } from './admin-sessions';
import { buildChecklist } from './checklist';
import type { LiveView } from './live-updates';
import { LiveUpdates } from './live-updates';
import { clientKey, LoginThrottle, TooManyLoginsError, type LoginThrottleOptions } from './login-throttle';
import { readSnapshot } from './page-snapshot';
import { pageRoutes } from './page-routes';
import { replayRoute } from './replay-route';
import { renderChecklist, renderItem } from './render-checklist';
import { renderDashboard } from './render-page';
import type { SettingsSummary } from './settings-summary';

export interface OperatorPageDeps {
  calls: CallStore;
  webhooks: WebhookStore;
  sessionStore: SessionStore;
  settings: SettingsSummary;
  forwardTargets: string[];
  adminToken: string;
  clock: Clock;
  logger: Logger;
  loginThrottle?: Partial<LoginThrottleOptions>;
  /** Changes closer together than this reach open pages as one update. */
  coalesceMs?: number;
  /** The Forwarding step's Replay button: queues a configured target's dead letters again. */
  replay: (target: string) => Promise<{ queued: number }>;
}

/** The operator's page, wired: its routes, its live stream, and what the rest of the app needs of it. */
export interface OperatorPage {
  /** `GET /`, `POST /login`, `POST /logout`, `POST /replay`, `/assets/*`. */
  routes: Router;
  /** `GET /api/live`, the page's event stream (behind the API's sign-in check). */
  live: RequestHandler;
  /** True when a request carries the cookie of an open session: `/api/*` accepts it as well as the bearer token. */
  isSignedIn(req: Request): Promise<boolean>;
  /** A wrong bearer token on `/api/*`: waits like a failed sign-in, or throws a 429 error. */
  wrongToken(req: Request): Promise<void>;
  /** Something the page shows was stored: open pages are updated. */
  changed(): void;
  /** Ends the open event streams, so the server can close. */
  close(): void;
}

/**
 * Which store methods change what the page shows. A `Record` over every method, so a method
 * added to a store must be placed here before the code compiles.
 */
export const CALL_WRITES_SHOWN: Record<keyof CallStore, boolean> = {
  recordCall: true,
  admitCall: true,
  addHeard: true,
  setRecordingUrl: true,
  markFallback: true,
  captureCode: true,
  scheduleMissedCallNotice: true,
  releaseMissedCallNotice: true,
  markDeliverySent: true,
  markDeliveryRetry: true,
  markDeliveryFailed: true,
  pruneCalls: true,
  callState: false,
  claimDueDeliveries: false,
  renewDeliveryClaims: false,
  nextDeliveryDueAt: false,
  listCodes: false,
  latestCall: false,
};

export const WEBHOOK_WRITES_SHOWN: Record<keyof WebhookStore, boolean> = {
  appendToInbox: true,
  dispatchInbox: true,
  markForwardSent: true,
  markForwardRetry: true,
  markForwardGivenUp: true,
  recordVerification: true,
  prune: true,
  replayDeadLetters: true,
  backfillForwards: true,
  claimForwardHeads: false,
  claimNextInLane: false,
  renewForwardClaims: false,
  releaseForwardClaim: false,
  pendingTargets: false,
  nextForwardDueAt: false,
  webhookFacts: false,
  latestEvents: false,
  listDeadLetters: false,
  deadLetterCounts: false,
};

/** The names of the methods marked true. */
export function shownWrites<S>(methods: Record<keyof S, boolean>): Array<keyof S> {
  return (Object.keys(methods) as Array<keyof S>).filter((name) => methods[name]);
}

export function createOperatorPage(deps: OperatorPageDeps): OperatorPage {
  const sessions = new AdminSessions({
    store: deps.sessionStore,
    adminToken: deps.adminToken,
    clock: deps.clock,
    secure: deps.settings.publicUrl.startsWith('https://'),
  });
  const checklistNow = async () => {
    const now = deps.clock.now();
    return { items: buildChecklist(await readSnapshot(deps), now), now };
  };
  const view = async (): Promise<LiveView> => {
    const { items, now } = await checklistNow();
    return { items: items.map((item, i) => ({ id: item.id, key: JSON.stringify(item), html: renderItem(item, i + 1, now).text })) };
  };
  const live = new LiveUpdates({ view, logger: deps.logger, coalesceMs: deps.coalesceMs });
  const throttle = new LoginThrottle(deps.loginThrottle);
  return {
    routes: Router().use(
      pageRoutes({
        adminToken: deps.adminToken,
        sessions,
        throttle,
        dashboard: async () => {
          const { items, now } = await checklistNow();
          return renderDashboard({ number: deps.settings.number, checklist: renderChecklist(items, now) });
        },
        logger: deps.logger,
        local: deps.settings.mode === 'local',
        publicUrl: deps.settings.publicUrl,
        onSignOut: () => {
          live.recheck().catch((error: unknown) => deps.logger.error({ err: error }, 'operator page: could not end signed-out streams'));
        },
      }),
      replayRoute({ isSignedIn: (req) => sessions.isSignedIn(req), replay: deps.replay, publicUrl: deps.settings.publicUrl }),
    ),
    // A stream opened with the bearer token lasts; one opened by a session ends with it.
    live: (req, res) => live.attach(req, res, async () => req.header('authorization') !== undefined || sessions.isSignedIn(req)),
    isSignedIn: (req) => sessions.isSignedIn(req),
    wrongToken: async (req) => {
      try {
        await throttle.failed(clientKey(req.socket.remoteAddress));
      } catch (error) {
        if (error instanceof TooManyLoginsError) throw new TooManyRequestsError(error.message);
        throw error;
      }
    },
    changed: () => live.changed(),
    close: () => live.close(),
  };
}
