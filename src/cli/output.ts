import { createColors } from 'picocolors';
import type { Env } from '../config';
import type { OutputStream } from './io';

export type Mark = 'pass' | 'fail' | 'skip' | 'info';

/**
 * What a command prints. For people: one line per finding, coloured only on a terminal. With
 * `--json`: nothing along the way, and one JSON document at the end on stdout.
 */
export interface Output {
  readonly json: boolean;
  /** A finding: `✓ title: detail`, with the fix on the next line for a failure. */
  mark(mark: Mark, title: string, detail?: string, fix?: string): void;
  /** A plain line. */
  line(text: string): void;
  /** Emphasis for a value the reader must notice (a PIN shown once). */
  strong(text: string): string;
  dim(text: string): string;
  /** The machine-readable result; printed only with `--json`. */
  result(document: unknown): void;
}

export function createOutput(options: { stdout: OutputStream; env: Env; json: boolean; color: boolean }): Output {
  const enabled = options.color && !options.json && options.stdout.isTTY === true && !options.env.NO_COLOR && options.env.TERM !== 'dumb';
  const c = createColors(enabled);
  const symbols: Record<Mark, string> = { pass: c.green('✓'), fail: c.red('✗'), skip: c.yellow('-'), info: c.cyan('•') };
  const write = (text: string) => {
    if (!options.json) options.stdout.write(`${text}\n`);
  };
  return {
    json: options.json,
    mark(mark, title, detail, fix) {
      // A detail of several lines (a list of problems) continues indented under its title.
      const [first, ...rest] = (detail ?? '').split('\n');
      write(`${symbols[mark]} ${mark === 'fail' ? c.bold(title) : title}${first ? c.dim(`: ${first}`) : ''}`);
      for (const more of rest) write(`    ${c.dim(`- ${more}`)}`);
      if (fix) write(`    ${c.yellow('fix:')} ${fix}`);
    },
    line: write,
    strong: (text) => c.bold(text),
    dim: (text) => c.dim(text),
    result(document) {
      if (options.json) options.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    },
  };
}
