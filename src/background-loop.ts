import type { Logger } from './observability/logger';
import { isTransientStoreError } from './store/store-error';

/** The first wait after a transient store failure; it doubles with each one after, up to the poll. */
const FIRST_RETRY_MS = 100;

export interface BackgroundLoopOptions {
  /** Named in the log when a pass fails. */
  name: string;
  logger: Logger;
  /** The longest it sleeps when nothing kicks it, so work made due by time alone is found. */
  pollMs: number;
  /**
   * One pass over the due work. Resolves with how long it may sleep before the next pass
   * (null: until the next poll). A rejection is logged; after a transient store failure (a lost
   * connection, a lock) the loop tries again soon, backing off up to the poll; after any other
   * failure, at the next poll.
   */
  pass: () => Promise<number | null>;
}

/**
 * Runs a worker's passes in the background: one pass at a time, again right away when kicked
 * during a pass, otherwise after the delay the pass asked for. The timer never keeps the process
 * alive on its own: the HTTP server does, and `stop()` drains.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Transient failures in a row: the wait before the next try doubles with each. */
  private failures = 0;

  constructor(private readonly options: BackgroundLoopOptions) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** New work was stored: run a pass now rather than at the next poll. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.wake(0);
  }

  /** Runs a pass now (or waits for the one running, and one more after it); for tests and `stop()`. */
  async runNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      await this.running;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // A kick between the loop's last look at `again` and this point would otherwise wait a poll.
      if (this.again && !this.stopped) this.wake(0);
    });
    await this.running;
  }

  /** No new pass starts; resolves when the one running has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async loop(): Promise<void> {
    let sleepMs: number | null;
    do {
      this.again = false;
      try {
        sleepMs = await this.options.pass();
        this.failures = 0;
      } catch (error) {
        sleepMs = this.failed(error);
      }
    } while (this.again && !this.stopped);
    if (!this.stopped) this.wake(Math.max(0, Math.min(sleepMs ?? this.options.pollMs, this.options.pollMs)));
  }

  /** Logs a failed pass; returns how long to wait before the next. */
  private failed(error: unknown): number | null {
    const err = error instanceof Error ? error.message : String(error);
    if (!isTransientStoreError(error)) {
      this.failures = 0;
      this.options.logger.error({ err }, `${this.options.name} failed; will try again`);
      return null;
    }
    this.failures++;
    const retryMs = Math.min(this.options.pollMs, FIRST_RETRY_MS * 2 ** (this.failures - 1));
    this.options.logger.warn({ err, failures: this.failures, retryMs }, `${this.options.name}: the store is unavailable; will try again`);
    return retryMs;
  }

  /** Schedules a pass in `delayMs`, unless one is already due sooner. */
  private wake(delayMs: number): void {
    const wakeAt = Date.now() + delayMs;
    if (this.timer && this.wakeAt <= wakeAt) return;
    clearTimeout(this.timer);
    this.wakeAt = wakeAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runNow();
    }, delayMs);
    this.timer.unref();
  }
}
