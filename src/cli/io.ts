import type { Env } from '../config';

/** A stream the command writes to; `isTTY` decides colour and live progress. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Everything the command touches of its process, passed in so tests run it in-process. */
export interface CliIo {
  /** The environment, with `.env` already folded in by the entry point. */
  env: Env;
  stdout: OutputStream;
  stderr: OutputStream;
  /** How often waits poll (1 s by default); tests make it short. */
  pollMs?: number;
}
