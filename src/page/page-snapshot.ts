import type { CallStore, CallView, CodeView } from '../store/call-store';
import type { WebhookStore } from '../store/webhook-store';
import { readWebhookOverview, type WebhookOverview } from '../whatsapp/overview';
import type { SettingsSummary } from './settings-summary';

/** Everything the operator page shows, read from the stores in one go. */
export interface PageSnapshot {
  settings: SettingsSummary;
  latestCall: CallView | null;
  latestCode: CodeView | null;
  webhook: WebhookOverview;
}

export interface SnapshotSources {
  calls: Pick<CallStore, 'latestCall' | 'listCodes'>;
  webhooks: Pick<WebhookStore, 'webhookFacts'>;
  settings: SettingsSummary;
  /** Where events are forwarded, for the backlog of each. */
  forwardTargets: string[];
}

/** The latest failures shown: enough to see a pattern, few enough for a phone's screen. */
export const FAILURES_SHOWN = 5;

export async function readSnapshot(sources: SnapshotSources): Promise<PageSnapshot> {
  const [latestCall, codes, webhook] = await Promise.all([
    sources.calls.latestCall(),
    sources.calls.listCodes(1),
    readWebhookOverview(sources.webhooks, sources.forwardTargets, FAILURES_SHOWN),
  ]);
  return { settings: sources.settings, latestCall, latestCode: codes[0] ?? null, webhook };
}
