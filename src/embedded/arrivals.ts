/** A list that local stand-ins append to, and that a caller can wait on until enough arrived. */
export class Arrivals<T> {
  readonly items: T[] = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly noun: string) {}

  push(item: T): void {
    this.items.push(item);
    this.waiters.splice(0).forEach((wake) => wake());
  }

  /** Resolves with a copy once `count` items have arrived in all; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} ${this.noun}, got ${this.items.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.items.slice();
  }
}
