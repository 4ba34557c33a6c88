import type { Waiter } from '../meta/onboarding';
import type { OutputStream } from './io';

/**
 * Waits by polling, and shows that it is waiting: on a terminal a line that counts the elapsed
 * time in place; elsewhere (CI logs, pipes) a line at the start and one every 30 seconds.
 */
export function createWaiter(options: { stream: OutputStream; pollMs: number; quiet: boolean }): Waiter {
  return async <T>(label: string, timeoutMs: number, check: () => Promise<T | undefined>) => {
    const started = Date.now();
    const limit = clock(timeoutMs);
    const tty = options.stream.isTTY === true && !options.quiet;
    let lastNote = started;
    if (!tty && !options.quiet) options.stream.write(`  ${label} (up to ${limit})...\n`);
    // A poll that fails (a deploy's 502, a slow answer) is tried again: the call is already spent.
    // Only when time runs out with the last poll failing is that failure the outcome.
    try {
      for (;;) {
        let failure: Error | null = null;
        try {
          const found = await check();
          if (found !== undefined) return found;
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
        }
        const elapsed = Date.now() - started;
        if (elapsed >= timeoutMs) {
          if (failure) throw failure;
          return undefined;
        }
        if (tty) options.stream.write(`\r\x1b[2K  ${label}... ${clock(elapsed)} of ${limit}`);
        else if (!options.quiet && Date.now() - lastNote >= 30_000) {
          lastNote = Date.now();
          options.stream.write(`  still waiting: ${clock(elapsed)} of ${limit}\n`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs, timeoutMs - elapsed)));
      }
    } finally {
      if (tty) options.stream.write('\r\x1b[2K');
    }
  };
}

/** 75000 → "1:15". */
export function clock(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Shows work the command cannot poll: a request in flight, pages read so far. */
export interface Progress {
  /** Resolves as `work` does; meanwhile, on a terminal, `label... m:ss` counts in place. */
  during<T>(label: string, work: Promise<T>): Promise<T>;
  /** On a terminal, `label` in place of the last (a count so far); cleared by `done`. */
  note(label: string): void;
  done(): void;
}

/**
 * Like the waiter: on a terminal one line rewritten in place (every second while a request is in
 * flight); elsewhere a line when the work starts and one every 30 seconds; nothing when quiet.
 */
export function createProgress(options: { stream: OutputStream; quiet: boolean }): Progress {
  const tty = options.stream.isTTY === true && !options.quiet;
  const write = (text: string) => options.stream.write(text);
  let shown = false;
  const progress: Progress = {
    async during(label, work) {
      const started = Date.now();
      const tick = () => {
        if (tty) progress.note(`${label}... ${clock(Date.now() - started)}`);
        else if (!options.quiet) write(`  still ${label}: ${clock(Date.now() - started)}\n`);
      };
      if (tty) progress.note(`${label}...`);
      else if (!options.quiet) write(`  ${label}...\n`);
      const timer = setInterval(tick, tty ? 1000 : 30_000);
      try {
        return await work;
      } finally {
        clearInterval(timer);
        progress.done();
      }
    },
    note(label) {
      if (!tty) return;
      shown = true;
      write(`\r\x1b[2K  ${label}`);
    },
    done() {
      if (shown) write('\r\x1b[2K');
      shown = false;
    },
  };
  return progress;
}
