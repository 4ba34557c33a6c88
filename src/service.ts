import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from './app';
import type { Config } from './config';
import { DeliveryError } from './delivery/delivery-error';
import { DeliveryWorker } from './delivery/delivery-worker';
import { createOutbox } from './delivery/outbox';
import { systemClock, type Clock, type Mailer, type SmsSender } from './delivery/ports';
import { defaultRetryPolicy, type RetryPolicy } from './delivery/retry-policy';
import { createSmtpMailer } from './delivery/smtp-mailer';
import { createTwilioClient } from './delivery/twilio-client';
import { createTwilioSmsSender } from './delivery/twilio-sms-sender';
import type { Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { recipientsOf } from './recipients';
import { openSqliteStore } from './store/sqlite-store';
import type { Store } from './store/store';
import { DEFAULT_MAX_LISTENS } from './voice/twiml';

export interface ServiceOptions {
  logger: Logger;
  clock?: Clock;
  retry?: RetryPolicy;
  /** How often the delivery worker looks for due work when nothing wakes it. */
  pollMs?: number;
  missedCallDeadlineMs?: number;
  /** Collect Node's process metrics (off in tests: they keep timers and are shared). */
  processMetrics?: boolean;
}

/** A wired service: the app, its store and its delivery worker, ready to listen. */
export interface Service {
  app: Express;
  store: Store;
  worker: DeliveryWorker;
  /** Where the outbox writes, when a channel has no real transport (local mode). */
  outboxDir?: string;
  listen(port: number, host?: string): Promise<{ server: Server; url: string }>;
  /** Stops accepting requests, lets in-flight deliveries finish, closes the store. */
  close(): Promise<void>;
}

export function createService(config: Config, options: ServiceOptions): Service {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const store = openSqliteStore(config.dataDir);
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
    pollMs: options.pollMs ?? 5_000,
  });
  const app = createApp({
    store,
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
  });

  let server: Server | undefined;
  return {
    app,
    store,
    worker,
    outboxDir: transports.outboxDir,
    async listen(port, host) {
      server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(port, host ?? '0.0.0.0', (error?: Error) => (error ? reject(error) : resolve(s)));
      });
      worker.start();
      const address = server.address() as AddressInfo;
      return { server, url: `http://127.0.0.1:${address.port}` };
    },
    async close() {
      if (server) {
        const s = server;
        // In-flight requests finish; idle keep-alive connections are closed (Node 19+).
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      await worker.stop();
      transports.close();
      await store.close();
    },
  };
}

/**
 * SMTP and Twilio where configured. Local mode writes what has no transport to the outbox;
 * production has none: config only allows a channel without its transport when no one is on it.
 */
function deliveryTransports(config: Config): { mailer: Mailer; sms: SmsSender; outboxDir?: string; close(): void } {
  const needsOutbox = config.mode === 'local' && !(config.smtp && config.smsViaTwilio);
  const outbox = needsOutbox ? createOutbox(config.dataDir) : undefined;
  const smtp = config.smtp ? createSmtpMailer(config.smtp) : undefined;
  const sms = config.smsViaTwilio
    ? createTwilioSmsSender(createTwilioClient(config.twilio), config.twilio.smsFrom)
    : (outbox?.sms ?? unconfigured('SMS', 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN'));
  const mailer = smtp ?? outbox?.mailer ?? unconfigured('email', 'SMTP_URL and EMAIL_FROM');
  return { mailer, sms, outboxDir: outbox?.dir, close: () => smtp?.close() };
}

function unconfigured(channel: string, settings: string): Mailer & SmsSender {
  const error = new DeliveryError(`${channel} is not configured: set ${settings}`, { permanent: true });
  return { send: () => Promise.reject(error) };
}
