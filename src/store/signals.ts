import { EventEmitter } from 'node:events';

/**
 * What a wake-up is about: new POSTs to dispatch, new forwards, new or newly due deliveries, or
 * something the operator page shows.
 */
export const TOPICS = ['inbox', 'forwards', 'deliveries', 'page'] as const;
export type Topic = (typeof TOPICS)[number];

/**
 * Wake-ups between the parts of one instance and, on a shared database, between instances. A signal
 * is a hint, never the work itself: it may be lost (a listener reconnecting) or come twice, so every
 * worker also polls, slowly, and reads what is due from the store.
 */
export interface Signals {
  /** Wakes the subscribers of `topic`, here at once and on the other instances soon after. */
  publish(topic: Topic): void;
  /** Calls `wake` on each signal of `topic`; returns the unsubscribe function. */
  subscribe(topic: Topic, wake: () => void): () => void;
  close(): Promise<void>;
}

/** Signals within one process: the embedded store's, and the local half of the shared one's. */
export class LocalSignals implements Signals {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every worker and open page subscribes: more than EventEmitter's default ten is normal.
    this.emitter.setMaxListeners(0);
  }

  publish(topic: Topic): void {
    this.emitter.emit(topic);
  }

  subscribe(topic: Topic, wake: () => void): () => void {
    this.emitter.on(topic, wake);
    return () => this.emitter.off(topic, wake);
  }

  close(): Promise<void> {
    this.emitter.removeAllListeners();
    return Promise.resolve();
  }
}
