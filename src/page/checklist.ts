import type { CallView, CodeView } from '../store/call-store';
import type { FailureView, ForwardingView, RehearsalsView, WebhookOverview } from '../whatsapp/overview';
import { WEBHOOK_PATH } from '../whatsapp/routes';
import { callItem, codeItem } from './call-items';
import { recordedTarget, targetName } from '../whatsapp/target-name';
import type { PageSnapshot, TargetDeadLetters } from './page-snapshot';
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
  /** The recording is an http(s) address on Twilio's API host: the only kind the page links. */
  recordingOnTwilio: boolean;
  heard: string[];
}

export type ConfigurationItem = Item<'configuration', SettingsSummary>;
export type CallItem = Item<'call', { call: CallView | null; rehearsal: boolean; number: string }>;
export type CodeItem = Item<'code', { code: CodeView | null; sourceLabel: string | null; callWithoutCode: CallWithoutCode | null }>;
export type WebhookItem = Item<'webhook', { lastVerifiedAt: string | null; lastRehearsedAt: string | null; callbackUrl: string }>;
export type EventsItem = Item<'events', { counts: WebhookOverview['counts']; lastEventAt: string | null; rehearsals: RehearsalsView }>;
/** A target as the Forwarding step shows it: named (see targetName), with its dead letters. */
export interface ForwardingTarget extends ForwardingView {
  deadLetters: Omit<TargetDeadLetters, 'target'>;
}
export type ForwardingItem = Item<'forwarding', { targets: ForwardingTarget[] }>;
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
 * and the time (which decides when a silent call is given up on, and which failures are recent).
 */
export function buildChecklist(snapshot: PageSnapshot, now: Date): ChecklistItem[] {
  return [
    configurationItem(snapshot.settings),
    callItem(snapshot),
    codeItem(snapshot, now),
    webhookItem(snapshot),
    eventsItem(snapshot.webhook),
    forwardingItem(snapshot.webhook.forwarding, snapshot.deadLetters),
    failuresItem(snapshot.webhook.failures, now),
  ];
}

/** The settings that say whether anyone is sent the codes. */
const RECIPIENT_VARIABLES = ['NOTIFY_EMAIL_TO', 'NOTIFY_SMS_TO'];

function configurationItem(settings: SettingsSummary): ConfigurationItem {
  const variablesOf = (state: SettingLine['state']) =>
    settings.lines.filter((l) => l.state === state).map((l) => l.variables);
  const problems: string[] = [];
  const off = variablesOf('off');
  if (off.length > 0) problems.push(`Signature checks are off (${off.join(', ')}): anyone can post to the service.`);
  const missing = variablesOf('missing');
  const recipients = missing.filter((v) => RECIPIENT_VARIABLES.includes(v));
  if (recipients.length > 0) problems.push(`Nobody is sent the codes: set ${recipients.join(' or ')}.`);
  const others = missing.filter((v) => !RECIPIENT_VARIABLES.includes(v));
  if (others.length > 0) problems.push(`Not set: ${others.join(', ')}.`);
  // Local mode works as it should for a trial: it is a step still to take, not a fault.
  const local =
    settings.mode === 'local'
      ? ['Local mode: generated secrets and the outbox folder stand in for real ones; set NODE_ENV=production to go live.']
      : [];
  const summary = [...problems, ...local].join(' ') || 'Production settings, all in place.';
  const state: ItemState = problems.length > 0 ? 'attention' : local.length > 0 ? 'waiting' : 'done';
  return { id: 'configuration', title: 'Configuration', state, summary, details: settings };
}

function webhookItem({ webhook, settings }: PageSnapshot): WebhookItem {
  const lastRehearsedAt = webhook.rehearsals.lastVerifiedAt;
  const details = { lastVerifiedAt: webhook.lastVerifiedAt, lastRehearsedAt, callbackUrl: settings.publicUrl + WEBHOOK_PATH };
  if (webhook.lastVerifiedAt) return { id: 'webhook', title: 'Webhook', state: 'done', summary: 'Meta verified the callback URL.', details };
  // `wa-onboard doctor` answering the check proves the route, not that Meta has the URL.
  const rehearsed = lastRehearsedAt ? " A rehearsal (wa-onboard doctor) got the challenge back; that is not Meta's check." : '';
  return {
    id: 'webhook',
    title: 'Webhook',
    state: 'waiting',
    summary: `Meta has not checked the callback URL yet: enter it, with the verify token, in the app's WhatsApp configuration.${rehearsed}`,
    details,
  };
}

function eventsItem(webhook: WebhookOverview): EventsItem {
  const { counts } = webhook;
  const details = { counts, lastEventAt: webhook.lastEventAt, rehearsals: webhook.rehearsals };
  const item = (state: ItemState, summary: string): EventsItem => ({ id: 'events', title: 'Events', state, summary, details });
  if (counts.invalid > 0) {
    return item('attention', `${plural(counts.invalid, 'POST')} could not be read; each is kept in the inbox.`);
  }
  if (counts.events > 0) return item('done', `${plural(counts.events, 'event')} received.`);
  if (counts.stored > 0) return item('waiting', `${plural(counts.stored, 'POST')} received, with no event yet.`);
  // Rehearsals prove the way through, not that Meta sends anything: the step still waits.
  const { events: rehearsed } = webhook.rehearsals;
  if (rehearsed > 0) return item('waiting', `No events from Meta yet; ${plural(rehearsed, 'rehearsal event')} went through (not counted).`);
  return item('waiting', 'No events yet.');
}

function forwardingItem(forwarding: ForwardingView[], deadLetters: TargetDeadLetters[]): ForwardingItem {
  const lettersOf = (target: string) => {
    const found = deadLetters.find((d) => recordedTarget(d.target) === recordedTarget(target));
    return found ? { rejected: found.rejected, expired: found.expired, latest: found.latest } : { rejected: 0, expired: 0, latest: [] };
  };
  // The store strips credentials; the path and query may still be a secret (see targetName).
  const targets = forwarding.map((t) => ({ ...t, target: targetName(t.target), deadLetters: lettersOf(t.target) }));
  const details = { targets };
  const item = (state: ItemState, summary: string): ForwardingItem => ({ id: 'forwarding', title: 'Forwarding', state, summary, details });
  if (targets.length === 0) return item('off', 'Not set up (FORWARD_URL): events are stored only.');
  const backlog = targets.reduce((sum, t) => sum + t.backlog, 0);
  const dead = targets.reduce((sum, t) => sum + t.deadLetters.rejected + t.deadLetters.expired, 0);
  // Events a target does not have: the operator fixes it, then replays them.
  const replay = dead > 0 ? ` ${plural(dead, 'dead letter')} to replay once the target takes them.` : '';
  const stuck = targets.filter((t) => t.backlog > 0 && (t.lastError !== null || !t.configured));
  if (stuck.length > 0) return item('attention', `${plural(backlog, 'event')} waiting; ${stuck.length} target${stuck.length === 1 ? '' : 's'} failing.${replay}`);
  if (dead > 0) return item('attention', `${backlog > 0 ? `${plural(backlog, 'event')} on the way.` : 'Nothing waiting.'}${replay}`);
  if (backlog > 0) return item('waiting', `${plural(backlog, 'event')} on the way.`);
  return item('done', 'Nothing waiting.');
}

/**
 * How long a failure Meta reported keeps the failures item red. Failures stay listed until the
 * inbox is pruned (days later), and one old failure should not hide that all is well now.
 */
export const RECENT_FAILURES_MS = 24 * 60 * 60_000;

function failuresItem(failures: FailureView[], now: Date): FailuresItem {
  const details = { failures };
  const item = (state: ItemState, summary: string): FailuresItem => ({ id: 'failures', title: 'Failures', state, summary, details });
  if (failures.length === 0) return item('done', 'Meta has reported no failure.');
  const recent = failures.filter((f) => now.getTime() - Date.parse(f.receivedAt) <= RECENT_FAILURES_MS);
  if (recent.length === 0) return item('done', 'No failure in the last 24 hours.');
  const latest = recent[0]?.errors[0];
  const what = latest ? `latest: ${latest.code ?? 'no code'}, ${latest.title ?? latest.meaning}` : 'latest without details';
  return item('attention', `Meta reported failures (${what}).`);
}

/** "1 event", "1,234 events". */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
