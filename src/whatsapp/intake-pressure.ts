import { performance } from 'node:perf_hooks';

/** A POST in the last this many ms means Meta's POSTs are arriving. */
const BURST_MS = 100;
/** The event loop's busy share is measured over windows of this length. */
const WINDOW_MS = 100;
/** Past this share of a busy event loop, forwarding gives way to the intake. */
const BUSY_SHARE = 0.5;
/** How often a lane that gives way looks again. */
const RECHECK_MS = 10;

/**
 * Whether Meta's POSTs are arriving, and how hard the thread is pressed: what the background
 * work (dispatch, forwarding) reads to let the intake go first. Everything shares one event loop,
 * and a POST needs several turns of it (its body, its commit, the disk's sync, its answer): every
 * callback queued ahead of each turn delays Meta's 200.
 */
export class IntakePressure {
  private lastPostAt = Number.NEGATIVE_INFINITY;
  private window = { at: performance.now(), elu: performance.eventLoopUtilization() };
  private busyShare = 0;

  /** A POST was stored (here, or on another instance of a shared database). */
  notePost(): void {
    this.lastPostAt = performance.now();
  }

  /** A POST arrived in the last 100 ms. */
  intakeBusy(): boolean {
    return performance.now() - this.lastPostAt < BURST_MS;
  }

  /** The share of the last window (about 100 ms) the event loop was busy, CPU and blocking calls alike. */
  loopBusy(): number {
    const now = performance.now();
    if (now - this.window.at >= WINDOW_MS) {
      const elu = performance.eventLoopUtilization();
      this.busyShare = performance.eventLoopUtilization(elu, this.window.elu).utilization;
      this.window = { at: now, elu };
    }
    return this.busyShare;
  }

  /**
   * Waits, up to `maxMs`, while POSTs are arriving and the loop is more than half busy: work that can
   * wait takes what the intake leaves. Never longer than `maxMs`, so it never starves either.
   * True when it waited.
   */
  async giveWay(maxMs: number): Promise<boolean> {
    const until = performance.now() + maxMs;
    let waited = false;
    while (this.intakeBusy() && this.loopBusy() > BUSY_SHARE && performance.now() < until) {
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    }
    return waited;
  }
}
