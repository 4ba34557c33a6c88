import { REHEARSAL_CALLER } from '../meta/onboarding';
import type { CallView, CodeSource, CodeView, DeliveryView } from '../store/store';
import type { FailureView, ForwardingView, WebhookOverview } from '../store/webhook-store';
import { WEBHOOK_PATH } from '../whatsapp/routes';
import type { PageSnapshot } from './page-snapshot';
import type { SettingLine, SettingsSummary } from './settings-summary';

/**
 * `done`: nothing to do. `waiting`: on its way, or waiting for Meta. `attention`: the operator
 * should look. `off`: not set up, by choice.
 */
export type ItemState = 'done' | 'waiting' | 'attention' | 'off';

interface Item<Id extends string, Details> {
  id: Id;
  title: string;
  state: ItemState;
  /** One sentence: where this step stands. Never holds a time relative to now (the page ticks those). */
  summary: string;
  details: Details;
}

/** The latest call that has no code yet, when it is newer than the latest code. */
export interface CallWithoutCode {
  startedAt: string;
  /** Still on the line (or its transcript is still to come): no verdict yet. */
  listening: boolean;
  /** When the call went on to the transcribed recording: its transcript may still hold the code. */
  fallbackAt: string | null;
  recordingUrl: string | null;
  heard: string[];
}

export type ConfigurationItem = Item<'configuration', SettingsSummary>;
export type CallItem = Item<'call', { call: CallView | null; rehearsal: boolean; number: string }>;
export type CodeItem = Item<'code', { code: CodeView | null; sourceLabel: string | null; callWithoutCode: CallWithoutCode | null }>;
export type WebhookItem = Item<'webhook', { lastVerifiedAt: string | null; callbackUrl: string }>;
export type EventsItem = Item<'events', { counts: WebhookOverview['counts']; lastEventAt: string | null }>;
export type ForwardingItem = Item<'forwarding', { targets: ForwardingView[] }>;
export type FailuresItem = Item<'failures', { failures: FailureView[] }>;

/** The onboarding, left to right: from the settings to the webhook's events. */
export type ChecklistItem =
  | ConfigurationItem
  | CallItem
  | CodeItem
  | WebhookItem
  | EventsItem
  | ForwardingItem
  | FailuresItem;

/**
 * What each item of the operator page shows, from what is stored. A pure function of the snapshot
 * and the time (which only decides when a silent call is given up on).
 */
export function buildChecklist(snapshot: PageSnapshot, now: Date): ChecklistItem[] {
  return [
    configurationItem(snapshot.settings),
    callItem(snapshot),
    codeItem(snapshot, now),
    webhookItem(snapshot),
    eventsItem(snapshot.webhook),
    forwardingItem(snapshot.webhook.forwarding),
    failuresItem(snapshot.webhook.failures),
  ];
}

const SOURCE_LABELS: Record<CodeSource, string> = {
  dtmf: 'keypad',
  speech: 'speech',
  transcription: 'transcription of the recording',
};

function configurationItem(settings: SettingsSummary): ConfigurationItem {
  const variablesOf = (state: SettingLine['state']) =>
    settings.lines.filter((l) => l.state === state).map((l) => l.variables);
  const problems: string[] = [];
  const off = variablesOf('off');
  if (off.length > 0) problems.push(`Signature checks are off (${off.join(', ')}): anyone can post to the service.`);
  const missing = variablesOf('missing');
  if (missing.length > 0) problems.push(`Nobody is sent the codes: set ${missing.join(' or ')}.`);
  if (settings.mode === 'local') {
    problems.push('Local mode: generated secrets and the outbox folder stand in for real ones; set NODE_ENV=production to go live.');
  }
  const state: ItemState = problems.length > 0 ? 'attention' : 'done';
  const summary = problems.length > 0 ? problems.join(' ') : 'Production settings, all in place.';
  return { id: 'configuration', title: 'Configuration', state, summary, details: settings };
}

function callItem({ latestCall: call, settings }: PageSnapshot): CallItem {
  const number = settings.lines.find((l) => l.variables === 'TWILIO_PHONE_NUMBER')?.value ?? '';
  const rehearsal = call?.from === REHEARSAL_CALLER;
  const details = { call, rehearsal, number };
  if (!call) {
    return { id: 'call', title: 'Verification call', state: 'waiting', summary: `No call yet. Meta will call ${number}.`, details };
  }
  const summary = rehearsal ? `A rehearsal call (wa-onboard simulate call) to ${call.to}.` : `A call from ${call.from} to ${call.to}.`;
  return { id: 'call', title: 'Verification call', state: 'done', summary, details };
}

/** Past this, a call without a code is over whatever else is known: every notice would have gone. */
export const CALL_VERDICT_MS = 20 * 60_000;

/**
 * Whether a call without a code has had its verdict: a "no code" notice went out (or is being
 * retried), or the whole call's recording came without a fallback recording whose transcript is
 * still to come, or it is simply too old.
 */
function callIsOver(call: CallView, now: Date): boolean {
  if (call.notices.some((n) => n.status !== 'pending' || n.attempts > 0)) return true;
  if (call.recordingUrl !== null && call.fallbackAt === null) return true;
  return now.getTime() - Date.parse(call.startedAt) > CALL_VERDICT_MS;
}

function codeItem({ latestCall, latestCode: code }: PageSnapshot, now: Date): CodeItem {
  const newerCall = latestCall && latestCall.codes === 0 && (!code || latestCall.startedAt >= code.receivedAt) ? latestCall : null;
  const callWithoutCode: CallWithoutCode | null = newerCall
    ? {
        startedAt: newerCall.startedAt,
        listening: !callIsOver(newerCall, now),
        fallbackAt: newerCall.fallbackAt,
        recordingUrl: newerCall.recordingUrl,
        heard: newerCall.heard,
      }
    : null;
  const details = { code, sourceLabel: code ? SOURCE_LABELS[code.source] : null, callWithoutCode };
  const item = (state: ItemState, summary: string): CodeItem => ({ id: 'code', title: 'Code', state, summary, details });
  if (callWithoutCode?.listening) {
    return item(
      'waiting',
      callWithoutCode.fallbackAt ? 'No code heard on the line; waiting for the transcript of the recording.' : 'Listening to the call for the code.',
    );
  }
  if (callWithoutCode) {
    return item(
      'attention',
      callWithoutCode.recordingUrl
        ? 'The latest call ended without a code: listen to its recording.'
        : 'The latest call ended without a code, and its recording has not come yet.',
    );
  }
  if (!code) return item('waiting', 'No code heard yet.');
  return item(deliveryState(code.deliveries), `Heard by ${SOURCE_LABELS[code.source]}. ${describeDeliveries(code.deliveries)}`);
}

function deliveryState(deliveries: DeliveryView[]): ItemState {
  if (deliveries.some((d) => d.status === 'failed' || (d.status === 'pending' && d.error !== null))) return 'attention';
  return deliveries.some((d) => d.status === 'pending') ? 'waiting' : 'done';
}

/** "2 of 3 deliveries sent, 1 failed." */
export function describeDeliveries(deliveries: DeliveryView[]): string {
  if (deliveries.length === 0) return 'Nobody to forward it to: it is only stored.';
  const count = (status: DeliveryView['status']) => deliveries.filter((d) => d.status === status).length;
  const retrying = deliveries.filter((d) => d.status === 'pending' && d.error !== null).length;
  const parts = [`${count('sent')} of ${deliveries.length} ${deliveries.length === 1 ? 'delivery' : 'deliveries'} sent`];
  if (count('failed') > 0) parts.push(`${count('failed')} failed`);
  if (retrying > 0) parts.push(`${retrying} retrying`);
  const sending = count('pending') - retrying;
  if (sending > 0) parts.push(`${sending} sending`);
  return `${parts.join(', ')}.`;
}

function webhookItem({ webhook, settings }: PageSnapshot): WebhookItem {
  const details = { lastVerifiedAt: webhook.lastVerifiedAt, callbackUrl: settings.publicUrl + WEBHOOK_PATH };
  return webhook.lastVerifiedAt
    ? { id: 'webhook', title: 'Webhook', state: 'done', summary: 'Meta verified the callback URL.', details }
    : {
        id: 'webhook',
        title: 'Webhook',
        state: 'waiting',
        summary: "Meta has not checked the callback URL yet: enter it, with the verify token, in the app's WhatsApp configuration.",
        details,
      };
}

function eventsItem(webhook: WebhookOverview): EventsItem {
  const { counts } = webhook;
  const details = { counts, lastEventAt: webhook.lastEventAt };
  const item = (state: ItemState, summary: string): EventsItem => ({ id: 'events', title: 'Events', state, summary, details });
  if (counts.invalid > 0) {
    return item('attention', `${plural(counts.invalid, 'POST')} could not be read; each is kept in the inbox.`);
  }
  if (counts.events > 0) return item('done', `${plural(counts.events, 'event')} received.`);
  if (counts.stored > 0) return item('waiting', `${plural(counts.stored, 'POST')} received, with no event yet.`);
  return item('waiting', 'No events yet.');
}

function forwardingItem(targets: ForwardingView[]): ForwardingItem {
  const details = { targets };
  const item = (state: ItemState, summary: string): ForwardingItem => ({ id: 'forwarding', title: 'Forwarding', state, summary, details });
  if (targets.length === 0) return item('off', 'Not set up (FORWARD_URL): events are stored only.');
  const backlog = targets.reduce((sum, t) => sum + t.backlog, 0);
  const stuck = targets.filter((t) => t.backlog > 0 && (t.lastError !== null || !t.configured));
  if (stuck.length > 0) return item('attention', `${plural(backlog, 'event')} waiting; ${stuck.length} target${stuck.length === 1 ? '' : 's'} failing.`);
  if (backlog > 0) return item('waiting', `${plural(backlog, 'event')} on the way.`);
  return item('done', 'Nothing waiting.');
}

function failuresItem(failures: FailureView[]): FailuresItem {
  const details = { failures };
  if (failures.length === 0) {
    return { id: 'failures', title: 'Failures', state: 'done', summary: 'Meta has reported no failure.', details };
  }
  const latest = failures[0]?.errors[0];
  const what = latest ? `latest: ${latest.code ?? 'no code'}, ${latest.title ?? latest.meaning}` : 'latest without details';
  return {
    id: 'failures',
    title: 'Failures',
    state: 'attention',
    summary: `Meta reported failures (${what}).`,
    details,
  };
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
