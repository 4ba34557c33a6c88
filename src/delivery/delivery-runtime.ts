import type { Config } from '../config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { CallStore } from '../store/call-store';
import type { Signals } from '../store/signals';
import { CodeSpool } from '../voice/code-spool';
import { DeliveryWorker } from './delivery-worker';
import type { Clock } from './ports';
import type { RetryPolicy } from './retry-policy';
import { SpoolWorker } from './spool-worker';
import { deliveryTransports } from './transports';

/** How codes and notices reach the team: the transports, the worker on the store, and the spool for when the store fails. */
export interface DeliveryRuntime {
  worker: DeliveryWorker;
  spool: SpoolWorker;
  codeSpool: CodeSpool;
  /** Where the outbox writes, when a channel has no real transport (local mode). */
  outboxDir?: string;
  start(): void;
  /** Sends in flight finish; the transports close. */
  stop(): Promise<void>;
}

/** Wires the transports, the delivery worker (woken by 'deliveries' signals) and the spool worker. */
export function createDeliveryRuntime(
  config: Config,
  deps: { calls: CallStore; signals: Signals; clock: Clock; logger: Logger; metrics: Metrics; retry: RetryPolicy; pollMs: number; instance: string; leaseMs: number },
): DeliveryRuntime {
  const { calls, signals, clock, logger, metrics, retry, pollMs } = deps;
  const transports = deliveryTransports(config);
  const { mailer, sms } = transports;
  const worker = new DeliveryWorker({ store: calls, clock, logger, metrics, mailer, sms, retry, pollMs, worker: deps.instance, leaseMs: deps.leaseMs });
  const codeSpool = new CodeSpool(config.dataDir);
  const spool = new SpoolWorker({
    spool: codeSpool,
    store: calls,
    mailer,
    sms,
    clock,
    logger,
    metrics,
    retry,
    pollMs,
    onStored: () => signals.publish('deliveries'),
  });
  const unsubscribe = signals.subscribe('deliveries', () => worker.kick());
  return {
    worker,
    spool,
    codeSpool,
    outboxDir: transports.outboxDir,
    start() {
      worker.start();
      spool.start();
    },
    async stop() {
      unsubscribe();
      await Promise.all([worker.stop(), spool.stop()]);
      transports.close();
    },
  };
}
