import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { Channel, CodeSource } from '../store/call-store';
import { targetName } from '../whatsapp/target-name';

export type DeliveryOutcome = 'sent' | 'retry' | 'failed';
/** What became of a webhook POST: stored, refused (signature), too large, or not stored (store error). */
export type IntakeOutcome = 'stored' | 'refused' | 'too_large' | 'error';
export type ForwardOutcome = 'sent' | 'retry' | 'rejected';

/** The counters `/metrics` exposes; one registry per app, so tests never share state. */
export interface Metrics {
  readonly registry: Registry;
  callAnswered(): void;
  codeCaptured(source: CodeSource): void;
  deliveryAttempted(channel: Channel, outcome: DeliveryOutcome): void;
  webhookReceived(outcome: IntakeOutcome): void;
  /** Events dispatched from stored POSTs: new ones, and ones already seen (redeliveries). */
  eventsDispatched(counts: { created: number; duplicates: number; invalidPosts: number }): void;
  /** `target` as recorded: it is labelled by targetName, as every metric naming a target must be. */
  forwardAttempted(target: string, outcome: ForwardOutcome): void;
  /** A client took longer than its deadline to send a request, and was cut off. */
  slowRequestCut(): void;
}

export function createMetrics(options: { processMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'wa_onboard_' });
  const calls = new Counter({
    name: 'wa_onboard_calls_answered_total',
    help: 'Incoming calls answered with a listening Gather.',
    registers: [registry],
  });
  const codes = new Counter({
    name: 'wa_onboard_codes_captured_total',
    help: 'Distinct verification codes captured, by where they were heard.',
    labelNames: ['source'],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'wa_onboard_deliveries_total',
    help: 'Delivery attempts, by channel and outcome (sent, retry, failed).',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  const posts = new Counter({
    name: 'wa_onboard_webhook_posts_total',
    help: 'WhatsApp webhook POSTs, by outcome (stored, refused, too_large, error).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'wa_onboard_webhook_events_total',
    help: 'Events dispatched from stored POSTs (new, duplicate), and stored POSTs we could not read (invalid).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const forwards = new Counter({
    name: 'wa_onboard_forwards_total',
    help: 'Attempts to forward an event, by target (its origin and a short id, never its path) and outcome (sent, retry, rejected).',
    labelNames: ['target', 'outcome'],
    registers: [registry],
  });
  const slowRequests = new Counter({
    name: 'wa_onboard_http_slow_requests_total',
    help: 'Requests cut off with a 408 for sending their headers or body too slowly.',
    registers: [registry],
  });
  return {
    registry,
    slowRequestCut: () => slowRequests.inc(),
    webhookReceived: (outcome) => posts.inc({ outcome }),
    eventsDispatched: ({ created, duplicates, invalidPosts }) => {
      if (created > 0) events.inc({ outcome: 'new' }, created);
      if (duplicates > 0) events.inc({ outcome: 'duplicate' }, duplicates);
      if (invalidPosts > 0) events.inc({ outcome: 'invalid' }, invalidPosts);
    },
    forwardAttempted: (target, outcome) => forwards.inc({ target: targetName(target), outcome }),
    callAnswered: () => calls.inc(),
    codeCaptured: (source) => codes.inc({ source }),
    deliveryAttempted: (channel, outcome) => deliveries.inc({ channel, outcome }),
  };
}
