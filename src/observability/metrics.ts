import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { Channel, CodeSource } from '../store/store';

export type DeliveryOutcome = 'sent' | 'retry' | 'failed';

/** The counters `/metrics` exposes; one registry per app, so tests never share state. */
export interface Metrics {
  readonly registry: Registry;
  callAnswered(): void;
  codeCaptured(source: CodeSource): void;
  deliveryAttempted(channel: Channel, outcome: DeliveryOutcome): void;
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
  return {
    registry,
    callAnswered: () => calls.inc(),
    codeCaptured: (source) => codes.inc({ source }),
    deliveryAttempted: (channel, outcome) => deliveries.inc({ channel, outcome }),
  };
}
