import type { CallStore, CallView, CodeView } from '../store/call-store';
import type { DeadLetterStatus, WebhookStore } from '../store/webhook-store';
import { readWebhookOverview, type WebhookOverview } from '../whatsapp/overview';
import type { SettingsSummary } from './settings-summary';

/** Everything the operator page shows, read from the stores in one go. */
export interface PageSnapshot {
  settings: SettingsSummary;
  latestCall: CallView | null;
  latestCode: CodeView | null;
  webhook: WebhookOverview;
  /** The targets that have dead letters, as recorded (credentials stripped, not yet named). */
  deadLetters: TargetDeadLetters[];
}

/** One dead letter as the page lists it. */
export interface DeadLetterLine {
  eventId: string;
  status: DeadLetterStatus;
  httpStatus: number | null;
  error: string | null;
  givenUpAt: string;
}

/** A target's dead letters: how many of each status, and the latest few. */
export interface TargetDeadLetters {
  target: string;
  rejected: number;
  expired: number;
  latest: DeadLetterLine[];
}

export interface SnapshotSources {
  calls: Pick<CallStore, 'latestCall' | 'listCodes'>;
  webhooks: Pick<WebhookStore, 'webhookFacts' | 'deadLetterCounts' | 'listDeadLetters'>;
  settings: SettingsSummary;
  /** Where events are forwarded, for the backlog of each. */
  forwardTargets: string[];
}

/** The latest failures shown: enough to see a pattern, few enough for a phone's screen. */
export const FAILURES_SHOWN = 5;

/** The latest dead letters shown per target: what went wrong lately; the rest are at /api/dead-letters. */
export const DEAD_LETTERS_SHOWN = 3;

export async function readSnapshot(sources: SnapshotSources): Promise<PageSnapshot> {
  const [latestCall, codes, webhook, deadLetters] = await Promise.all([
    sources.calls.latestCall(),
    sources.calls.listCodes(1),
    readWebhookOverview(sources.webhooks, sources.forwardTargets, FAILURES_SHOWN),
    readDeadLetters(sources.webhooks),
  ]);
  return { settings: sources.settings, latestCall, latestCode: codes[0] ?? null, webhook, deadLetters };
}

/**
 * Each target's dead letters: the counts the store keeps (a few rows however many there are),
 * then a seek for the latest few of each target that has any.
 */
async function readDeadLetters(webhooks: SnapshotSources['webhooks']): Promise<TargetDeadLetters[]> {
  const byTarget = new Map<string, TargetDeadLetters>();
  for (const { target, status, count } of await webhooks.deadLetterCounts()) {
    if (count <= 0) continue;
    const entry = byTarget.get(target) ?? { target, rejected: 0, expired: 0, latest: [] };
    entry[status] += count;
    byTarget.set(target, entry);
  }
  return Promise.all(
    [...byTarget.values()].map(async (entry) => {
      const latest = await webhooks.listDeadLetters({ target: entry.target, limit: DEAD_LETTERS_SHOWN });
      return {
        ...entry,
        latest: latest.map((d) => ({ eventId: d.eventId, status: d.status, httpStatus: d.httpStatus, error: d.error, givenUpAt: d.givenUpAt.toISOString() })),
      };
    }),
  );
}
