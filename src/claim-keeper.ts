import type { Clock } from './delivery/ports';
import type { Logger } from './observability/logger';
import type { Claim } from './store/claims';

export interface ClaimKeeperOptions {
  /** This instance (see `newInstanceId`). */
  worker: string;
  leaseMs: number;
  clock: Clock;
  logger: Logger;
  /** What the claims are on, for the log. */
  name: string;
  /** Extends the claims on `ids` to `claim.until`. */
  renew: (ids: number[], claim: Claim) => Promise<void>;
}

/**
 * The claims one worker holds on work in hand (deliveries being sent, lanes being forwarded): it
 * makes new claims and renews the ones in hand every third of the lease, so a live instance keeps
 * its work however slow a send is, and a dead one's work is free once the lease passes.
 */
export class ClaimKeeper {
  private readonly held = new Set<number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ClaimKeeperOptions) {}

  /** A claim made now, for the length of a lease. */
  claim(): Claim {
    const now = this.options.clock.now();
    return { worker: this.options.worker, now, until: new Date(now.getTime() + this.options.leaseMs) };
  }

  get worker(): string {
    return this.options.worker;
  }

  /** Work `id` is in hand: its claim is renewed until `drop(id)`. */
  hold(id: number): void {
    this.held.add(id);
  }

  drop(id: number): void {
    this.held.delete(id);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await this.options.renew([...this.held], this.claim());
    } catch (error) {
      // The next renewal tries again; the lease covers two missed ones.
      this.options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, `could not renew the claims on ${this.options.name}`);
    }
  }
}
