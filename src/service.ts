import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from './app';
import type { Config } from './config';
import { DeliveryWorker } from './delivery/delivery-worker';
import { systemClock, type Clock } from './delivery/ports';
import { defaultRetryPolicy, exponentialBackoff, type RetryPolicy } from './delivery/retry-policy';
import { deliveryTransports } from './delivery/transports';
import { frontDoor } from './http/front-door';
import type { Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { recipientsOf } from './recipients';
import { GroupCommit } from './store/group-commit';
import { openSqliteStores } from './store/open-sqlite';
import type { Store } from './store/store';
import type { InboxRecord, WebhookStore } from './store/webhook-store';
import { DEFAULT_MAX_LISTENS } from './voice/twiml';
import { WebhookDispatcher } from './whatsapp/dispatcher';
import type { WhatsAppEvent } from './whatsapp/event';
import { Forwarder } from './whatsapp/forwarder';
import { webhookIntake } from './whatsapp/intake';
import { InboxPruner } from './whatsapp/pruner';
import { handlerSink, urlSink, type Sink } from './whatsapp/sinks';

export const WEBHOOK_PATH = '/webhooks/whatsapp';

export interface ServiceOptions {
  logger: Logger;
  clock?: Clock;
  retry?: RetryPolicy;
  /** How often the background workers look for due work when nothing wakes them. */
  pollMs?: number;
  missedCallDeadlineMs?: number;
  /** Collect Node's process metrics (off in tests: they keep timers and are shared). */
  processMetrics?: boolean;
  /**
   * Your own code, run in this process on every WhatsApp event, like a forwarding target: after
   * the event is stored, at least once, in order per phone number; a throw is retried with backoff.
   */
  onEvent?: (event: WhatsAppEvent) => unknown;
  /** Delay before forwarding attempt `attempt + 1` (default: 1 s doubling to 5 min). */
  forwardBackoffMs?: (attempt: number) => number;
  /** How long a forwarding target has to answer (default 10 s). */
  forwardTimeoutMs?: number;
}

/** A wired service: the app, its stores and its background workers, ready to listen. */
export interface Service {
  app: Express;
  store: Store;
  webhooks: WebhookStore;
  worker: DeliveryWorker;
  dispatcher: WebhookDispatcher;
  forwarder: Forwarder;
  pruner: InboxPruner;
  /** Where the outbox writes, when a channel has no real transport (local mode). */
  outboxDir?: string;
  listen(port: number, host?: string): Promise<{ server: Server; url: string }>;
  /** Stops accepting requests, lets in-flight work finish, closes the store. */
  close(): Promise<void>;
}

const forwardBackoff = exponentialBackoff({ baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: Infinity });

export function createService(config: Config, options: ServiceOptions): Service {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? 5_000;
  const { store, webhooks } = openSqliteStores(config.dataDir);
  const transports = deliveryTransports(config);
  const metrics = createMetrics({ processMetrics: options.processMetrics ?? false });
  const worker = new DeliveryWorker({
    store,
    clock,
    logger,
    metrics,
    mailer: transports.mailer,
    sms: transports.sms,
    retry: options.retry ?? defaultRetryPolicy,
    pollMs,
  });

  const forwarder = new Forwarder({
    webhooks,
    sinks: sinksOf(config, options),
    clock,
    logger,
    metrics,
    backoffMs: options.forwardBackoffMs ?? ((attempt) => forwardBackoff.delayMs(attempt)),
    pollMs,
  });
  const dispatcher = new WebhookDispatcher({
    webhooks,
    targets: forwarder.targets,
    clock,
    logger,
    metrics,
    onEvents: () => forwarder.kick(),
    pollMs,
  });
  const pruner = new InboxPruner({ webhooks, clock, logger, retentionDays: config.inboxRetentionDays });
  // Many POSTs arriving together share one transaction and one sync to disk.
  const inbox = new GroupCommit<InboxRecord>((records) => webhooks.appendToInbox(records));
  const intake = webhookIntake({
    appSecrets: config.whatsapp.appSecrets,
    verifySignatures: config.whatsapp.verifySignatures,
    store: (record) => inbox.add(record),
    onStored: () => dispatcher.kick(),
    clock,
    logger,
    metrics,
  });

  const app = createApp({
    store,
    webhooks,
    logger,
    metrics,
    clock,
    adminToken: config.adminToken,
    twilio: { authToken: config.twilio.authToken, verifySignatures: config.twilio.verifySignatures },
    plan: {
      publicUrl: config.publicUrl,
      codeLength: config.codeLength,
      language: config.voiceLanguage,
      maxListens: DEFAULT_MAX_LISTENS,
    },
    recipients: recipientsOf(config.notify),
    onDeliveriesStored: () => worker.kick(),
    missedCallDeadlineMs: options.missedCallDeadlineMs ?? 15 * 60_000,
    whatsapp: { verifyToken: config.whatsapp.verifyToken, intake },
    forwardTargets: forwarder.targets,
  });

  let server: Server | undefined;
  return {
    app,
    store,
    webhooks,
    worker,
    dispatcher,
    forwarder,
    pruner,
    outboxDir: transports.outboxDir,
    async listen(port, host) {
      const listener = frontDoor(app, [{ method: 'POST', path: WEBHOOK_PATH, handler: intake }]);
      const s = http.createServer(listener);
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host ?? '0.0.0.0', () => resolve());
      });
      worker.start();
      dispatcher.start();
      forwarder.start();
      pruner.start();
      const address = s.address() as AddressInfo;
      return { server: s, url: `http://127.0.0.1:${address.port}` };
    },
    async close() {
      if (server) {
        const s = server;
        // In-flight requests finish (their POSTs are stored); idle keep-alive connections close.
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      await pruner.stop();
      await dispatcher.stop();
      await Promise.all([worker.stop(), forwarder.stop()]);
      transports.close();
      await store.close();
    },
  };
}

function sinksOf(config: Config, options: ServiceOptions): Sink[] {
  const sinks: Sink[] = [];
  if (config.forward.secret) {
    for (const url of config.forward.urls) {
      sinks.push(urlSink(url, config.forward.secret, { timeoutMs: options.forwardTimeoutMs ?? 10_000 }));
    }
  }
  if (options.onEvent) sinks.push(handlerSink(options.onEvent));
  return sinks;
}
