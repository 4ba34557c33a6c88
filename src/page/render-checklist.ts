import type { ChecklistItem, ItemState } from './checklist';
import { html, type SafeHtml } from './html';
import {
  callDetails,
  codeDetails,
  configurationDetails,
  eventsDetails,
  failuresDetails,
  forwardingDetails,
  webhookDetails,
} from './render-items';

const STATE_LABELS: Record<ItemState, string> = {
  done: 'Done',
  waiting: 'Waiting',
  attention: 'Needs attention',
  off: 'Off',
};

/**
 * The checklist as HTML: what `GET /` shows inside `<main>` and what each live update replaces
 * it with. The state is written out in words, never told by colour alone.
 */
export function renderChecklist(items: ChecklistItem[], now: Date): SafeHtml {
  return html`<ol class="checklist">${items.map((item, i) => renderItem(item, i + 1, now))}</ol>`;
}

/** One item, `<li id="item-{id}">`: what a live update replaces. `step` counts from 1. */
export function renderItem(item: ChecklistItem, step: number, now: Date): SafeHtml {
  const titleId = `item-${item.id}-title`;
  return html`<li class="item" id="item-${item.id}" data-state="${item.state}" aria-labelledby="${titleId}">
<h2 id="${titleId}"><span class="step" aria-hidden="true">${step}</span> ${item.title}</h2>
<p class="state"><span class="badge">${STATE_LABELS[item.state]}</span></p>
<p class="summary">${item.summary}</p>
${detailsOf(item, now)}
</li>`;
}

function detailsOf(item: ChecklistItem, now: Date): SafeHtml {
  switch (item.id) {
    case 'configuration':
      return configurationDetails(item.details);
    case 'call':
      return callDetails(item.details, now);
    case 'code':
      return codeDetails(item.details, now);
    case 'webhook':
      return webhookDetails(item.details, now);
    case 'events':
      return eventsDetails(item.details, now);
    case 'forwarding':
      return forwardingDetails(item.details, now);
    case 'failures':
      return failuresDetails(item.details, now);
  }
}
