import type { CallView, CodeSource, DeliveryView, Forwarding } from '../store/call-store';
import { HELD_REASONS } from '../voice/forward-budget';
import type { CallItem, CallWithoutCode, CodeItem, ItemState } from './checklist';
import type { PageSnapshot } from './page-snapshot';

/** The checklist's call and code items: the verification call, and the code heard on it. */

const SOURCE_LABELS: Record<CodeSource, string> = {
  dtmf: 'keypad',
  speech: 'speech',
  transcription: 'transcription of the recording',
};

export function callItem({ latestCall: call, settings }: PageSnapshot): CallItem {
  const { number } = settings;
  // Marked by `wa-onboard simulate call` inside Twilio's signature, and stored with the call.
  const rehearsal = call?.rehearsal === true;
  const details = { call, rehearsal, number };
  if (!call) {
    return { id: 'call', title: 'Verification call', state: 'waiting', summary: `No call yet. Meta will call ${number}.`, details };
  }
  const summary = rehearsal ? `A rehearsal call (wa-onboard simulate call) to ${call.to}.` : `A call from ${call.from} to ${call.to}.`;
  // Held back: nothing of it reached the team. A flood, a stranger, or Meta calling from a number
  // CALLERS_ALLOWED lacks: the operator should look.
  if (call.forwarding !== 'forwarded') {
    return { id: 'call', title: 'Verification call', state: 'attention', summary: `${summary} ${notForwarded(call.forwarding)}`, details };
  }
  return { id: 'call', title: 'Verification call', state: 'done', summary, details };
}

/** "Not forwarded: over the hourly limit (CALL_FORWARD_LIMIT)." */
export function notForwarded(forwarding: Exclude<Forwarding, 'forwarded'>): string {
  const setting = forwarding === 'over-limit' ? 'CALL_FORWARD_LIMIT' : 'CALLERS_ALLOWED';
  return `Not forwarded: ${HELD_REASONS[forwarding]} (${setting}).`;
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

/** Whether `url` is an http(s) address on one of `hosts` (host and port, as `URL` writes them). */
function isOnHost(url: string | null, hosts: string[]): boolean {
  if (url === null) return false;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && hosts.includes(parsed.host);
  } catch {
    return false;
  }
}

export function codeItem({ latestCall, latestCode: code, settings }: PageSnapshot, now: Date): CodeItem {
  const newerCall = latestCall && latestCall.codes === 0 && (!code || latestCall.startedAt >= code.receivedAt) ? latestCall : null;
  const callWithoutCode: CallWithoutCode | null = newerCall
    ? {
        startedAt: newerCall.startedAt,
        listening: !callIsOver(newerCall, now),
        fallbackAt: newerCall.fallbackAt,
        recordingUrl: newerCall.recordingUrl,
        recordingOnTwilio: isOnHost(newerCall.recordingUrl, settings.recordingHosts),
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
  if (code.forwarding !== 'forwarded') {
    const whose = code.rehearsal ? "A rehearsal's code (wa-onboard simulate call), not Meta's. " : '';
    return item('attention', `${whose}Heard by ${SOURCE_LABELS[code.source]}. ${notForwarded(code.forwarding)} It is only here.`);
  }
  const heard = `Heard by ${SOURCE_LABELS[code.source]}. ${describeDeliveries(code.deliveries)}`;
  // A rehearsal's code is made up: say so before anyone copies it into Meta's form.
  return item(deliveryState(code.deliveries), code.rehearsal ? `A rehearsal's code (wa-onboard simulate call), not Meta's. ${heard}` : heard);
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
