import { EventEmitter } from 'node:events';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from './app';
import type { Config } from './config';
import { DeliveryWorker } from './delivery/delivery-worker';
import { systemClock, type Clock } from './delivery/ports';
import { defaultRetryPolicy, type RetryPolicy } from './delivery/retry-policy';
import { deliveryTransports } from './delivery/transports';
import { createDrainingServer, type DrainingServer } from './http/draining-server';
import { frontDoor } from './http/front-door';
import type { Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import type { LoginThrottleOptions } from './page/login-throttle';
import { createOperatorPage, shownWrites, STORE_WRITES_SHOWN, WEBHOOK_WRITES_SHOWN } from './page/operator-page';
import { summarizeSettings } from './page/settings-summary';
import { recipientsOf } from './recipients';
import { notifyOnWrite } from './store/notify-on-write';
import { openSqliteStores } from './store/open-sqlite';
import type { Store } from './store/store';
import type { WebhookStore } from './store/webhook-store';
import type { WebhookDispatcher } from './whatsapp/dispatcher';
import type { Forwarder } from './whatsapp/forwarder';
import type { InboxPruner } from './whatsapp/pruner';
import { WEBHOOK_PATH } from './whatsapp/routes';
import { createWebhookRuntime, type WebhookOptions } from './whatsapp/webhook-runtime';
import { DEFAULT_MAX_LISTENS } from './voice/twiml';

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
   * the event is stored, at least once, in order per phone number; a throw, or no answer within
   * `forwardTimeoutMs` (the signal then aborts), is retried with backoff.
   */
  onEvent?: WebhookOptions['onEvent'];
  forwardBackoffMs?: WebhookOptions['forwardBackoffMs'];
  forwardTimeoutMs?: WebhookOptions['forwardTimeoutMs'];
  /** How failed sign-ins to the operator page are slowed (tests shorten the waits). */
  loginThrottle?: Partial<LoginThrottleOptions>;
}

/** A wired service: the app, its stores and its background workers, ready to listen. */
export interface Service {
  app: Express;
  /**
   * The request listener `listen()` serves: the Express app, with Meta's POSTs sent past it.
   * Mount this (not `app`) in your own `http.createServer` to keep the webhook's fast path.
   */
  listener: RequestListener;
  store: Store;
  webhooks: WebhookStore;
  worker: DeliveryWorker;
  dispatcher: WebhookDispatcher;
  forwarder: Forwarder;
  pruner: InboxPruner;
  /** Where the outbox writes, when a channel has no real transport (local mode). */
  outboxDir?: string;
  /** Starts the background workers (deliveries, dispatch, forwarding, pruning); `listen()` calls it. */
  start(): void;
  /** Starts an HTTP server on `listener`, then the workers. */
  listen(port: number, host?: string): Promise<{ server: Server; url: string }>;
  /** Stops accepting requests, lets in-flight work finish, closes the store. */
  close(): Promise<void>;
}

export function createService(config: Config, options: ServiceOptions): Service {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? 5_000;
  const stores = openSqliteStores(config.dataDir);
  // Every write that changes what the operator page shows says so here; the page listens.
  const changes = new EventEmitter();
  const changed = () => changes.emit('change');
  const store = notifyOnWrite(stores.store, shownWrites(STORE_WRITES_SHOWN), changed);
  const webhooks = notifyOnWrite(stores.webhooks, shownWrites(WEBHOOK_WRITES_SHOWN), changed);
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

  const whatsapp = createWebhookRuntime(config, { webhooks, clock, logger, metrics, pollMs }, options);
  const page = createOperatorPage({
    store: stores.store,
    webhooks: stores.webhooks,
    sessionStore: stores.sessions,
    settings: summarizeSettings(config),
    forwardTargets: whatsapp.forwarder.targets,
    adminToken: config.adminToken,
    clock,
    logger,
    loginThrottle: options.loginThrottle,
  });
  changes.on('change', () => page.changed());

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
    whatsapp: { verifyToken: config.whatsapp.verifyToken, intake: whatsapp.intake },
    forwardTargets: whatsapp.forwarder.targets,
    page,
  });
  // Meta's POSTs go straight to the intake; everything else through Express (see front-door.ts).
  const listener = frontDoor(app, [{ method: 'POST', path: WEBHOOK_PATH, handler: whatsapp.intake }]);

  let httpServer: DrainingServer | undefined;
  let started = false;
  const service: Service = {
    app,
    listener,
    store,
    webhooks,
    worker,
    dispatcher: whatsapp.dispatcher,
    forwarder: whatsapp.forwarder,
    pruner: whatsapp.pruner,
    outboxDir: transports.outboxDir,
    start() {
      if (started) return;
      started = true;
      worker.start();
      whatsapp.start();
    },
    async listen(port, host) {
      httpServer = createDrainingServer(listener);
      const s = httpServer.server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host ?? '0.0.0.0', () => resolve());
      });
      service.start();
      const address = s.address() as AddressInfo;
      return { server: s, url: `http://127.0.0.1:${address.port}` };
    },
    async close() {
      // Open pages' event streams never end by themselves: the server could not close with them.
      page.close();
      // In-flight requests finish (their POSTs are stored); no new connection is taken.
      await httpServer?.drain();
      await Promise.all([worker.stop(), whatsapp.stop()]);
      transports.close();
      await store.close();
    },
  };
  return service;
}
