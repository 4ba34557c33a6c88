import { ConfigError } from '../config';
import { DataDirError } from '../data-dir/data-dir-error';
import { DatabaseUnavailableError } from '../store/postgres/connect-failure';
import { SchemaError } from '../store/schema-error';
import { ListenError } from './listen-error';

/** Why the service did not start, as the operator reads it on stderr, and the exit code. */
export interface StartFailure {
  message: string;
  /** The setting to change, or the command to run. */
  fix?: string;
  /**
   * sysexits.h: 78 (EX_CONFIG) a setting to change (the configuration, PORT or HOST, DATA_DIR, a
   * database that answered no, a schema this release does not match); 69 (EX_UNAVAILABLE) the
   * database did not answer; 74 (EX_IOERR) DATA_DIR's disk is full or failing; 1 anything else.
   */
  exitCode: number;
}

export function describeStartFailure(error: unknown): StartFailure {
  if (error instanceof ConfigError || error instanceof DatabaseUnavailableError) {
    return { message: error.message, exitCode: error.exitCode };
  }
  if (error instanceof SchemaError) return { message: error.message, fix: error.fix, exitCode: 78 };
  if (error instanceof DataDirError || error instanceof ListenError) {
    return { message: error.message, fix: error.fix, exitCode: error.exitCode };
  }
  return { message: `could not start: ${error instanceof Error ? error.message : String(error)}`, exitCode: 1 };
}

/** The lines written to stderr. */
export function startFailureText(failure: StartFailure): string {
  return `wa-onboard: ${failure.message}\n${failure.fix ? `  fix: ${failure.fix}\n` : ''}`;
}
