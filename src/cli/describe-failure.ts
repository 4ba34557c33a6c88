import { ConfigError } from '../config';
import { GraphError, GraphUnavailableError } from '../meta/graph-error';
import { DatabaseUnavailableError } from '../store/postgres/connect-failure';
import { SchemaError } from '../store/schema-error';
import { StoreError } from '../store/store-error';
import { ServiceApiError } from './service-api';

/** An error that ended a command, as the operator reads it: what happened and what to do. */
export interface Failure {
  message: string;
  fix: string;
  problems?: string[];
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof ConfigError) {
    return { message: error.message, fix: 'Fix these settings in the environment or .env (see .env.example).', problems: error.problems };
  }
  if (error instanceof ServiceApiError) return { message: error.message, fix: error.fix };
  if (error instanceof DatabaseUnavailableError) return { message: error.message, fix: 'Check DATABASE_URL, and that PostgreSQL is up and reachable from here.' };
  if (error instanceof SchemaError) return { message: error.message, fix: error.fix };
  if (error instanceof StoreError) return { message: error.message, fix: 'Check the database: DATABASE_URL, or the SQLite file in DATA_DIR.' };
  if (error instanceof GraphError) return { message: `${error.describe()}. ${error.explained.meaning}`, fix: error.explained.action };
  if (error instanceof GraphUnavailableError) return { message: error.message, fix: 'Check META_GRAPH_URL and the network.' };
  const { status, code, message } = (error ?? {}) as { status?: number; code?: number | string; message?: string };
  if (typeof status === 'number' && code !== undefined) {
    // twilio-node's RestException: the API answered with an error.
    return {
      message: `Twilio answered ${status} (code ${code}): ${message ?? ''}`,
      fix: status === 401 ? 'Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.' : `See https://www.twilio.com/docs/errors/${code}.`,
    };
  }
  return { message: error instanceof Error ? error.message : String(error), fix: 'Run `wa-onboard doctor` to find what is wrong.' };
}
