import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Channel, CodeSource } from '../store/call-store';
import { targetName } from '../whatsapp/target-name';

export type DeliveryOutcome = 'sent' | 'retry' | 'failed';
/** What became of a webhook POST: stored, refused (signature), too large, or not stored (store error). */
export type IntakeOutcome = 'stored' | 'refused' | 'too_large' | 'error';
export type ForwardOutcome = 'sent' | 'retry' | 'rejected' | 'expired';
/** How dead letters and missed events are sent again: a replay of dead letters, or a backfill to a target. */
export type Requeue = 'replay' | 'backfill';
/** The dead letters of each target and status, as the store keeps their counts. */
export type DeadLetterCounts = () => Promise<Array<{ target: string; status: string; count: number }>>;
/** The routes whose bodies are read before they can be authenticated, and so count in the body budget. */
export type UnverifiedBodyRoute = 'webhook' | 'twilio' | 'login';

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
  /** `count` forwards to `target` (as recorded) queued again by a replay, or queued by a backfill. */
  forwardsRequeued(target: string, how: Requeue, count: number): void;
  /** Where the dead-letter gauge reads its counts at each scrape. */
  countDeadLettersWith(read: DeadLetterCounts): void;
  /** A client took longer than its deadline to send a request, and was cut off. */
  slowRequestCut(): void;
  /** A body was refused (503) because too many bytes of unverified bodies were held at once. */
  bodyRefused(route: UnverifiedBodyRoute): void;
  /** Where the gauges of unverified body bytes read (see http/body-budget.ts). */
  watchBodies(budget: { heldBytes: number; peakBytes: number }): void;
  /** A connection was closed as it arrived: MAX_CONNECTIONS were open. */
  connectionDropped(): void;
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
    help: 'Attempts to forward an event, by target (its origin and a short id, never its path) and outcome (sent, retry, rejected, expired).',
    labelNames: ['target', 'outcome'],
    registers: [registry],
  });
  const requeued = {
    replay: new Counter({
      name: 'wa_onboard_forwards_replayed_total',
      help: 'Dead letters queued again by a replay, by target.',
      labelNames: ['target'],
      registers: [registry],
    }),
    backfill: new Counter({
      name: 'wa_onboard_forwards_backfilled_total',
      help: 'Events queued to a target by a backfill (dead letters among them queued again), by target.',
      labelNames: ['target'],
      registers: [registry],
    }),
  };
  let readDeadLetters: DeadLetterCounts | undefined;
  new Gauge({
    name: 'wa_onboard_dead_letters',
    help: 'Forwards given up and kept as dead letters (until their event is pruned), by target and status (rejected, expired).',
    labelNames: ['target', 'status'],
    registers: [registry],
    // Read at each scrape from counts the store keeps as forwards change: a few rows, never a scan.
    // A store that does not answer leaves the last values.
    async collect() {
      if (!readDeadLetters) return;
      const counts = await readDeadLetters().catch(() => null);
      if (!counts) return;
      this.reset();
      for (const c of counts) this.inc({ target: targetName(c.target), status: c.status }, c.count);
    },
  });
  const slowRequests = new Counter({
    name: 'wa_onboard_http_slow_requests_total',
    help: 'Requests cut off with a 408 for sending their headers or body too slowly.',
    registers: [registry],
  });
  const bodiesRefused = new Counter({
    name: 'wa_onboard_http_bodies_refused_total',
    help: 'Request bodies refused with a 503 because too many bytes of bodies not yet authenticated were held at once (UNVERIFIED_BODIES_MIB), by route.',
    labelNames: ['route'],
    registers: [registry],
  });
  let bodies: { heldBytes: number; peakBytes: number } | undefined;
  new Gauge({
    name: 'wa_onboard_http_unverified_body_bytes',
    help: 'Bytes held now by request bodies not yet authenticated (webhook POSTs being received, Twilio and sign-in forms).',
    registers: [registry],
    collect() {
      this.set(bodies?.heldBytes ?? 0);
    },
  });
  new Gauge({
    name: 'wa_onboard_http_unverified_body_bytes_peak',
    help: 'The most bytes held at once by request bodies not yet authenticated, since the start.',
    registers: [registry],
    collect() {
      this.set(bodies?.peakBytes ?? 0);
    },
  });
  const connectionsDropped = new Counter({
    name: 'wa_onboard_http_connections_dropped_total',
    help: 'Connections closed as they arrived because MAX_CONNECTIONS were open.',
    registers: [registry],
  });
  return {
    registry,
    slowRequestCut: () => slowRequests.inc(),
    bodyRefused: (route) => bodiesRefused.inc({ route }),
    watchBodies: (budget) => {
      bodies = budget;
    },
    connectionDropped: () => connectionsDropped.inc(),
    webhookReceived: (outcome) => posts.inc({ outcome }),
    eventsDispatched: ({ created, duplicates, invalidPosts }) => {
      if (created > 0) events.inc({ outcome: 'new' }, created);
      if (duplicates > 0) events.inc({ outcome: 'duplicate' }, duplicates);
      if (invalidPosts > 0) events.inc({ outcome: 'invalid' }, invalidPosts);
    },
    forwardAttempted: (target, outcome) => forwards.inc({ target: targetName(target), outcome }),
    forwardsRequeued: (target, how, count) => {
      if (count > 0) requeued[how].inc({ target: targetName(target) }, count);
    },
    countDeadLettersWith: (read) => {
      readDeadLetters = read;
    },
    callAnswered: () => calls.inc(),
    codeCaptured: (source) => codes.inc({ source }),
    deliveryAttempted: (channel, outcome) => deliveries.inc({ channel, outcome }),
  };
}
