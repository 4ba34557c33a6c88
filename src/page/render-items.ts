import type { DeliveryView } from '../store/call-store';
import {
  plural,
  type CallItem,
  type CallWithoutCode,
  type CodeItem,
  type ConfigurationItem,
  type EventsItem,
  type FailuresItem,
  type ForwardingItem,
  type ForwardingTarget,
  type WebhookItem,
} from './checklist';
import { html, type SafeHtml } from './html';
import { timeAgo } from './time-ago';
import { HELD_REASONS } from '../voice/forward-budget';

/** The details under each checklist item. Every value goes through `html`, so none becomes markup. */

/** Only an http(s) address is shown at all: the recording URL comes from a request, not from us. */
function isWebLink(url: string | null): url is string {
  return url !== null && /^https?:\/\//i.test(url);
}

/**
 * A link only to Twilio's own host (checked by the checklist): a link to anywhere else, under a
 * label that promises Twilio, would be a phishing page one tap away from the operator.
 */
function recording({ recordingUrl: url, recordingOnTwilio }: CallWithoutCode): SafeHtml | null {
  if (!isWebLink(url)) return null;
  return recordingOnTwilio
    ? html`<p><a href="${url}" rel="noopener noreferrer" target="_blank">Listen to the recording</a> <small>(Twilio may ask for your account SID and auth token)</small></p>`
    : html`<p>Recording: <code>${url}</code> <small>(not a Twilio address)</small></p>`;
}

/** A time the browser keeps current (assets/operator-page.js); the tooltip holds the exact time. */
function when(iso: string, now: Date): SafeHtml {
  return html`<time datetime="${iso}" title="${iso}" data-relative>${timeAgo(iso, now)}</time>`;
}

function pairs(rows: Array<[string, SafeHtml | string | number]>): SafeHtml {
  return html`<dl class="pairs">${rows.map(([term, value]) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`)}</dl>`;
}

export function configurationDetails(settings: ConfigurationItem['details']): SafeHtml {
  // Folded, so the code stays near the top of a phone's screen; the summary above says what is wrong.
  return html`<p class="meta">Mode: ${settings.mode}. Public URL: <code>${settings.publicUrl}</code></p>
<details id="settings-details"><summary>All ${settings.lines.length} settings</summary>
<dl class="settings">${settings.lines.map(
    (line) => html`<div data-setting-state="${line.state}"><dt>${line.label}</dt><dd>${line.value} <small>${line.variables}</small></dd></div>`,
  )}</dl>
</details>`;
}

export function callDetails({ call, rehearsal, number }: CallItem['details'], now: Date): SafeHtml {
  if (!call) return html`<p class="meta">Point the number's voice URL at the service: <code>wa-onboard twilio connect</code>.</p>`;
  // A notice cancelled because the code came is no news: only one that went, or may go, is shown.
  const live = call.notices.filter((n) => n.status !== 'cancelled');
  const notices = live.length > 0 ? html`<h3>No-code notice</h3>${deliveryList(live, now)}` : null;
  return html`${pairs([
    ['From', rehearsal ? `${call.from} (rehearsal)` : call.from],
    ['To', call.to === number ? call.to : `${call.to} (not ${number})`],
    ['Started', when(call.startedAt, now)],
    ['Call SID', html`<code>${call.callSid}</code>`],
    ['Forwarded', call.forwarding === 'forwarded' ? 'yes' : html`<strong data-forwarding="${call.forwarding}">not forwarded: ${HELD_REASONS[call.forwarding]}</strong>`],
  ])}${notices}`;
}

export function codeDetails({ code, sourceLabel, callWithoutCode }: CodeItem['details'], now: Date): SafeHtml {
  const missed = callWithoutCode
    ? html`<div class="missed">
<p>Call started ${when(callWithoutCode.startedAt, now)}.</p>
${callWithoutCode.heard.length > 0 ? html`<p>Heard without a full code:</p><ul class="heard">${callWithoutCode.heard.map((h) => html`<li>“${h}”</li>`)}</ul>` : null}
${recording(callWithoutCode)}
</div>`
    : null;
  if (!code) return html`${missed}`;
  return html`${missed}
<div class="code-box">
<p class="code-label" id="latest-code-label">${callWithoutCode ? 'Previous code' : 'Latest code'}${code.rehearsal ? ' (rehearsal)' : ''}</p>
<p class="code-value" id="latest-code" aria-labelledby="latest-code-label">${code.code}</p>
<button type="button" class="copy" data-copy="${code.code}" hidden>Copy code</button>
</div>
<p class="meta">Heard ${when(code.receivedAt, now)} by ${sourceLabel}, ${code.rehearsal ? 'on a rehearsal (wa-onboard simulate call): it is made up, not for Meta' : `on the call from ${code.from}`}.</p>
${code.forwarding !== 'forwarded' ? html`<p class="error" data-forwarding="${code.forwarding}">Not forwarded: ${HELD_REASONS[code.forwarding]}. No email or SMS was sent for it.</p>` : null}
${code.deliveries.length > 0 ? html`<h3>Deliveries</h3>${deliveryList(code.deliveries, now)}` : null}`;
}

const DELIVERY_STATUS: Record<DeliveryView['status'], string> = {
  sent: 'sent',
  pending: 'sending',
  failed: 'failed',
  cancelled: 'cancelled (a code came)',
};

function deliveryList(deliveries: DeliveryView[], now: Date): SafeHtml {
  return html`<ul class="deliveries">${deliveries.map((d) => {
    const status = d.status === 'pending' && d.error ? `retrying (attempt ${d.attempts})` : DELIVERY_STATUS[d.status];
    return html`<li data-status="${d.status}"><span class="channel">${d.channel === 'email' ? 'Email' : 'SMS'}</span> to ${d.to}: <strong>${status}</strong>${d.sentAt ? html` ${when(d.sentAt, now)}` : null}${d.error && d.status !== 'sent' ? html`<br><small class="error">${d.error}</small>` : null}</li>`;
  })}</ul>`;
}

export function webhookDetails({ lastVerifiedAt, lastRehearsedAt, callbackUrl }: WebhookItem['details'], now: Date): SafeHtml {
  return pairs([
    ['Callback URL', html`<code>${callbackUrl}</code>`],
    ['Last verified by Meta', lastVerifiedAt ? when(lastVerifiedAt, now) : 'never'],
    ...(lastRehearsedAt ? [['Last rehearsal', html`${when(lastRehearsedAt, now)} <small>(wa-onboard doctor, not Meta)</small>`] as [string, SafeHtml]] : []),
  ]);
}

export function eventsDetails({ counts, lastEventAt, rehearsals }: EventsItem['details'], now: Date): SafeHtml {
  return html`${pairs([
    ['Messages', counts.byKind.message],
    ['Statuses', counts.byKind.status],
    ['Errors', counts.byKind.error],
    ['Other fields', counts.byKind.field],
    ['Last event', lastEventAt ? when(lastEventAt, now) : 'none yet'],
    ['Redeliveries', counts.duplicates],
    ['Waiting for dispatch', counts.pending],
    ['Unreadable POSTs', counts.invalid],
  ])}${rehearsalsDetails(rehearsals, now)}`;
}

/** What our own commands rehearsed: listed apart, never in red, and in none of the counts above. */
function rehearsalsDetails(rehearsals: EventsItem['details']['rehearsals'], now: Date): SafeHtml | null {
  if (rehearsals.posts === 0) return null;
  return html`<h3>Rehearsals</h3>
<p class="meta">${plural(rehearsals.events, 'event')} from wa-onboard doctor and simulate webhook, not counted above${rehearsals.lastEventAt ? html`; the last ${when(rehearsals.lastEventAt, now)}` : ''}.</p>
<ul class="rehearsals">${rehearsals.latest.map(
    (e) => html`<li data-rehearsal><strong>${e.kind} ${e.type}</strong> (rehearsal) ${when(e.receivedAt, now)}${e.errors.map((x) => html`<br><small>${x.code ?? 'no code'} ${x.title ?? x.meaning}</small>`)}</li>`,
  )}</ul>`;
}

export function forwardingDetails({ targets }: ForwardingItem['details'], now: Date): SafeHtml {
  if (targets.length === 0) return html``;
  return html`<ul class="targets">${targets.map(
    (t, i) => html`<li><code id="forward-target-${i}">${t.target}</code>${t.configured ? null : html` <strong>(no longer in FORWARD_URL)</strong>`}
${pairs([
  ['Waiting', t.backlog],
  ['Oldest waiting', t.oldestPendingAt ? when(t.oldestPendingAt, now) : '-'],
  ['Sent', t.sent],
  ['Refused', t.rejected],
  ['Expired', t.expired],
  ['Dead letters', deadLetterCount(t.deadLetters)],
])}${t.lastError ? html`<small class="error">Last error: ${t.lastError}</small>` : null}${deadLetterList(t, i, now)}</li>`,
  )}</ul>`;
}

/** "none", "2 rejected, 1 expired": in words, as the API names the statuses. */
function deadLetterCount({ rejected, expired }: ForwardingTarget['deadLetters']): string {
  const counts = [rejected > 0 ? `${rejected.toLocaleString('en-US')} rejected` : null, expired > 0 ? `${expired.toLocaleString('en-US')} expired` : null];
  return counts.filter(Boolean).join(', ') || 'none';
}

/**
 * The latest dead letters of a target, and its Replay button: a form (it works without the script,
 * which posts it itself and lets the live stream show the list emptied). A target no longer in
 * FORWARD_URL cannot be replayed to: it says how to get there.
 */
function deadLetterList(t: ForwardingTarget, i: number, now: Date): SafeHtml | null {
  const total = t.deadLetters.rejected + t.deadLetters.expired;
  if (total === 0) return null;
  const replay = t.configured
    ? html`<form method="post" action="replay" class="replay" data-replay>
<input type="hidden" name="target" value="${t.target}">
<button type="submit" aria-describedby="forward-target-${i}">Replay ${plural(total, 'dead letter')}</button>
</form>`
    : html`<p class="meta">Put it back in FORWARD_URL to replay them.</p>`;
  return html`<h3>Latest dead letters</h3>
<ul class="dead-letters">${t.deadLetters.latest.map(
    (d) => html`<li data-status="${d.status}"><strong>${d.status}</strong> <code>${d.eventId}</code> ${when(d.givenUpAt, now)}<br><small class="error">${d.error ?? (d.httpStatus === null ? 'no HTTP answer' : `HTTP ${d.httpStatus}`)}</small></li>`,
  )}</ul>
${total > t.deadLetters.latest.length ? html`<p class="meta">All of them: <code>wa-onboard events dead-letters</code>.</p>` : null}
${replay}`;
}

export function failuresDetails({ failures }: FailuresItem['details'], now: Date): SafeHtml {
  if (failures.length === 0) return html``;
  return html`<ul class="failures">${failures.map(
    (f) => html`<li><p><strong>${f.kind} ${f.type}</strong> ${when(f.receivedAt, now)}${f.phoneNumberId ? ` on number id ${f.phoneNumberId}` : ''}</p>
${f.errors.map(
  (e) => html`<p class="error"><strong>${e.code ?? 'no code'}</strong> ${e.title ?? ''}${e.details ? `: ${e.details}` : ''}</p>
<p>${e.meaning} <em>${e.action}</em></p>`,
)}</li>`,
  )}</ul>`;
}
