import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from './app';
import type { Config } from './config';
import { codeRetention } from './delivery/code-retention';
import { createDeliveryRuntime } from './delivery/delivery-runtime';
import type { DeliveryWorker } from './delivery/delivery-worker';
import { systemClock, type Clock } from './delivery/ports';
import { defaultRetryPolicy, type RetryPolicy } from './delivery/retry-policy';
import type { SpoolWorker } from './delivery/spool-worker';
import { BodyBudget } from './http/body-budget';
import { createDrainingServer, type DrainingServer } from './http/draining-server';
import type { RequestDeadlines } from './http/slow-clients';
import { frontDoor } from './http/front-door';
import { newInstanceId } from './instance-id';
import type { Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import type { LoginThrottleOptions } from './page/login-throttle';
import { CALL_WRITES_SHOWN, createOperatorPage, shownWrites, WEBHOOK_WRITES_SHOWN } from './page/operator-page';
import { summarizeSettings } from './page/settings-summary';
import { recipientsOf } from './recipients';
import { RetentionPruner } from './retention-pruner';
import type { CallStore } from './store/call-store';
import { DEFAULT_LEASE_MS } from './store/claims';
import { notifyOnWrite } from './store/notify-on-write';
import { openStores } from './store/open-stores';
import type { Stores } from './store/stores';
import type { WebhookStore } from './store/webhook-store';
import { DEFAULT_MAX_LISTENS } from './voice/twiml';
import type { WebhookDispatcher } from './whatsapp/dispatcher';
import type { Forwarder } from './whatsapp/forwarder';
import { replayDeadLetters } from './whatsapp/replay';
import { WEBHOOK_PATH } from './whatsapp/routes';
import { createWebhookRuntime, type WebhookOptions } from './whatsapp/webhook-runtime';

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
  /** Stores already open (tests); by default they are opened from `config` and closed with the service. */
  stores?: Stores;
  /** This instance's name on the work it claims (default: host, pid and a random tail). */
  instance?: string;
  /** How long a claim on a delivery or a lane holds without renewal (default 30 s). */
  leaseMs?: number;
  /** How long a client may take to send a request (default REQUEST_DEADLINES; tests shorten them). */
  requestDeadlines?: RequestDeadlines;
}

/** A wired service: the app, its stores and its background workers, ready to listen. */
export interface Service {
  app: Express;
  /**
   * The request listener `listen()` serves: the Express app, with Meta's POSTs sent past it.
   * Mount this (not `app`) in your own `http.createServer` to keep the webhook's fast path.
   */
  listener: RequestListener;
  /** `sqlite` (the file in DATA_DIR) or `postgres` (DATABASE_URL). */
  backend: Stores['backend'];
  instance: string;
  /** The stores the service runs on (closed by `close()` unless they were handed in). */
  stores: Stores;
  calls: CallStore;
  webhooks: WebhookStore;
  worker: DeliveryWorker;
  spool: SpoolWorker;
  dispatcher: WebhookDispatcher;
  forwarder: Forwarder;
  /** Hourly retention: the webhook's inbox, the calls, codes and outbox. */
  pruner: RetentionPruner;
  /** Where the outbox writes, when a channel has no real transport (local mode). */
  outboxDir?: string;
  /** Starts the background workers (deliveries, dispatch, forwarding, pruning); `listen()` calls it. */
  start(): void;
  /** Starts an HTTP server on `listener` (on `host`, loopback unless told), then the workers. */
  listen(port: number, host?: string): Promise<{ server: Server; url: string }>;
  /** Stops accepting requests, lets in-flight work finish, closes the stores. */
  close(): Promise<void>;
}

/**
 * Opens the stores the configuration names (SQLite in DATA_DIR, or PostgreSQL at DATABASE_URL),
 * and wires the app and the background workers on them. Rejects when the database cannot be used,
 * naming the setting to change.
 */
export async function createService(config: Config, options: ServiceOptions): Promise<Service> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? 5_000;
  const instance = options.instance ?? newInstanceId();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const stores = options.stores ?? (await openStores(config, { instance, logger }));
  const { signals } = stores;
  // Every write that changes what the operator page shows says so; pages here and on the other
  // instances listen.
  const shown = () => signals.publish('page');
  const calls = notifyOnWrite(stores.calls, shownWrites(CALL_WRITES_SHOWN), shown);
  const webhooks = notifyOnWrite(stores.webhooks, shownWrites(WEBHOOK_WRITES_SHOWN), shown);
  const metrics = createMetrics({ processMetrics: options.processMetrics ?? false });
  const retry = options.retry ?? defaultRetryPolicy;
  // One budget for every body read before it can be authenticated: the webhook's and the forms'.
  const bodies = new BodyBudget(config.http.unverifiedBodyBytes);
  metrics.watchBodies(bodies);
  const deliveries = createDeliveryRuntime(config, { calls, signals, clock, logger, metrics, retry, pollMs, instance, leaseMs });

  const whatsapp = createWebhookRuntime(config, { webhooks, signals, clock, logger, metrics, pollMs, instance, leaseMs, bodies }, options);
  const pruner = new RetentionPruner({
    tasks: [whatsapp.inboxRetention, codeRetention({ calls, dataDir: config.dataDir, logger, retentionDays: config.codeRetentionDays })],
    clock,
    logger,
  });
  const page = createOperatorPage({
    calls: stores.calls,
    webhooks: stores.webhooks,
    sessionStore: stores.sessions,
    settings: summarizeSettings(config),
    forwardTargets: whatsapp.forwarder.targets,
    adminToken: config.adminToken,
    clock,
    logger,
    loginThrottle: options.loginThrottle,
    replay: (target) => replayDeadLetters(whatsapp.redelivery, { target }),
  });
  const unsubscribe = signals.subscribe('page', () => page.changed());

  const app = createApp({
    calls,
    webhooks,
    ping: () => stores.ping(),
    logger,
    metrics,
    metricsAccess: {
      token: config.metrics.token,
      loopbackOnly: config.mode === 'production' && !config.metrics.public,
    },
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
    onDeliveriesStored: () => signals.publish('deliveries'),
    spool: deliveries.codeSpool,
    onSpooled: () => deliveries.spool.kick(),
    missedCallDeadlineMs: options.missedCallDeadlineMs ?? 15 * 60_000,
    callForwarding: config.callForwarding,
    whatsapp: { verifyToken: config.whatsapp.verifyToken, intake: whatsapp.intake },
    redelivery: whatsapp.redelivery,
    forwardTargets: whatsapp.forwarder.targets,
    bodies,
    page,
  });
  // Meta's POSTs go straight to the intake; everything else through Express (see front-door.ts).
  const listener = frontDoor(app, [{ method: 'POST', path: WEBHOOK_PATH, handler: whatsapp.intake }]);

  let httpServer: DrainingServer | undefined;
  let started = false;
  const service: Service = {
    app,
    listener,
    backend: stores.backend,
    instance,
    stores,
    calls,
    webhooks,
    worker: deliveries.worker,
    spool: deliveries.spool,
    dispatcher: whatsapp.dispatcher,
    forwarder: whatsapp.forwarder,
    pruner,
    outboxDir: deliveries.outboxDir,
    start() {
      if (started) return;
      started = true;
      deliveries.start();
      whatsapp.start();
      pruner.start();
    },
    async listen(port, host) {
      httpServer = createDrainingServer(listener, {
        deadlines: options.requestDeadlines,
        onSlowRequest: () => metrics.slowRequestCut(),
        maxConnections: config.http.maxConnections,
        onConnectionDropped: () => metrics.connectionDropped(),
      });
      const s = httpServer.server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host ?? '127.0.0.1', () => resolve());
      });
      service.start();
      const address = s.address() as AddressInfo;
      return { server: s, url: `http://${reachableHost(address.address)}:${address.port}` };
    },
    async close() {
      // Open pages' event streams never end by themselves: the server could not close with them.
      page.close();
      // In-flight requests finish (their POSTs are stored); no new connection is taken.
      await httpServer?.drain();
      await Promise.all([deliveries.stop(), whatsapp.stop(), pruner.stop()]);
      unsubscribe();
      // Stores handed in belong to the caller, who closes them.
      if (!options.stores) await stores.close();
    },
  };
  return service;
}

/** The address a client on this machine uses to reach a server bound to `address` (any-address binds answer on loopback). */
function reachableHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}
