import type { Config } from '../config';
import type { Clock } from '../delivery/ports';
import { exponentialBackoff } from '../delivery/retry-policy';
import type { BodyBudget } from '../http/body-budget';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RetentionTask } from '../retention-pruner';
import { GroupCommit } from '../store/group-commit';
import type { Signals } from '../store/signals';
import type { InboxRecord, WebhookStore } from '../store/webhook-store';
import { WebhookDispatcher } from './dispatcher';
import type { WhatsAppEvent } from './event';
import { Forwarder } from './forwarder';
import { IntakePressure } from './intake-pressure';
import { webhookIntake, type NodeHandler } from './intake';
import { inboxRetention } from './inbox-retention';
import type { RedeliveryDeps } from './redelivery';
import { handlerSink, urlSink, type Sink } from './sinks';

export interface WebhookOptions {
  /** Your own code on every event, run like a forwarding target (see ServiceOptions.onEvent). */
  onEvent?: (event: WhatsAppEvent, signal: AbortSignal) => unknown;
  /** Delay before forwarding attempt `attempt + 1` (default: 1 s doubling to 5 min). */
  forwardBackoffMs?: (attempt: number) => number;
  /**
   * How long a target (or the onEvent handler) has to take an event (default 30 s): a receiver that
   * does its work before answering, 10 s at a time, still takes every event, one per lane at a time.
   */
  forwardTimeoutMs?: number;
}

/** The webhook's moving parts: the intake that answers Meta, and the workers behind it. */
export interface WebhookRuntime {
  intake: NodeHandler;
  dispatcher: WebhookDispatcher;
  forwarder: Forwarder;
  /** Its part of the hourly retention pruning (INBOX_RETENTION_DAYS), run by the service's pruner. */
  inboxRetention: RetentionTask;
  /** What replaying dead letters and backfilling a target work with (see replay.ts, backfill.ts). */
  redelivery: RedeliveryDeps;
  start(): void;
  /** Dispatch finishes its batch, forwards in flight are cut short (they stay owed). */
  stop(): Promise<void>;
}

const defaultBackoff = exponentialBackoff({ baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: Infinity });

/** Wires intake → inbox (group commit) → dispatcher → forwarder, and the inbox's retention. */
export function createWebhookRuntime(
  config: Config,
  deps: {
    webhooks: WebhookStore;
    /** Wake-ups: a stored POST wakes dispatch, new events wake forwarding, here and on other instances. */
    signals: Signals;
    clock: Clock;
    logger: Logger;
    metrics: Metrics;
    pollMs: number;
    /** This instance, named on the lanes it claims. */
    instance: string;
    leaseMs: number;
    /** The bytes of unverified bodies the intake may hold, shared with the other routes. */
    bodies: BodyBudget;
  },
  options: WebhookOptions,
): WebhookRuntime {
  const { webhooks, signals, clock, logger, metrics, pollMs } = deps;
  const timeoutMs = options.forwardTimeoutMs ?? 30_000;
  // Meta's POSTs go first: dispatch and forwarding read how hard they press on the one thread.
  const pressure = new IntakePressure();
  const forwarder = new Forwarder({
    webhooks,
    sinks: sinksOf(config, options, timeoutMs),
    clock,
    logger,
    metrics,
    backoffMs: options.forwardBackoffMs ?? ((attempt) => defaultBackoff.delayMs(attempt)),
    giveUpMs: config.forward.giveUpHours * 60 * 60_000,
    pollMs,
    worker: deps.instance,
    leaseMs: deps.leaseMs,
    pressure,
  });
  const dispatcher = new WebhookDispatcher({
    webhooks,
    targets: forwarder.targets,
    clock,
    logger,
    metrics,
    onEvents: () => signals.publish('forwards'),
    pollMs,
    pressure,
  });
  const retention = inboxRetention({ webhooks, logger, retentionDays: config.inboxRetentionDays });
  const redelivery: RedeliveryDeps = {
    webhooks,
    targets: forwarder.targets,
    clock,
    logger,
    metrics,
    retentionDays: config.inboxRetentionDays,
    onQueued: () => signals.publish('forwards'),
  };
  metrics.countDeadLettersWith(() => webhooks.deadLetterCounts());
  // Many POSTs arriving together share one transaction and one sync to disk. One batch at a time:
  // the POSTs that arrive while it syncs make the next one, and bigger batches cost less per POST
  // than more of them in flight (measured in bench/README.md, on both stores).
  const inbox = new GroupCommit<InboxRecord>((records) => webhooks.appendToInbox(records));
  const intake = webhookIntake({
    appSecrets: config.whatsapp.appSecrets,
    verifySignatures: config.whatsapp.verifySignatures,
    store: (record) => inbox.add(record),
    onStored: () => signals.publish('inbox'),
    bodies: deps.bodies,
    clock,
    logger,
    metrics,
  });
  const unsubscribe = [
    signals.subscribe('inbox', () => {
      pressure.notePost();
      dispatcher.kick();
    }),
    signals.subscribe('forwards', () => forwarder.kick()),
  ];
  return {
    intake,
    dispatcher,
    forwarder,
    inboxRetention: retention,
    redelivery,
    start() {
      dispatcher.start();
      forwarder.start();
    },
    async stop() {
      for (const off of unsubscribe) off();
      await dispatcher.stop();
      await forwarder.stop();
    },
  };
}

function sinksOf(config: Config, options: WebhookOptions, timeoutMs: number): Sink[] {
  const sinks: Sink[] = [];
  if (config.forward.secret) {
    for (const url of config.forward.urls) sinks.push(urlSink(url, config.forward.secret, { timeoutMs }));
  }
  if (options.onEvent) sinks.push(handlerSink(options.onEvent, { timeoutMs }));
  return sinks;
}
