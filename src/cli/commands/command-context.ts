import type { Env } from '../../config';
import type { CliIo } from '../io';
import type { Output } from '../output';

/** What every command gets: the environment, where to print, and the I/O for progress. */
export interface CommandContext {
  env: Env;
  out: Output;
  io: CliIo;
}
