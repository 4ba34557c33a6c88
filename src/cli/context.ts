import { loadConfig, type Config, type Env } from '../config';
import { createTwilioClient } from '../delivery/twilio-client';
import { readOrCreateLocalSecrets } from '../local-secrets';
import { createGraphClient, type GraphClient } from '../meta/graph-client';
import { ServiceApi } from './service-api';

/**
 * The configuration the service would read from the same environment and `.env`: the command
 * and the service it checks must agree on every secret, or every signature would fail.
 */
export function cliConfig(env: Env): Config {
  return loadConfig(env, (dataDir) => readOrCreateLocalSecrets(dataDir).secrets).config;
}

export function twilioClientFor(config: Config) {
  return createTwilioClient(config.twilio);
}

/** The running service's admin API, at `url` (default: PUBLIC_URL). */
export function serviceApiFor(config: Config, url?: string): ServiceApi {
  return new ServiceApi(serviceUrlOf(config, url), config.adminToken);
}

/** Where to reach the running service: `--url`, or PUBLIC_URL, without a trailing slash. */
export function serviceUrlOf(config: Config, url?: string): string {
  return (url ?? config.publicUrl).replace(/\/+$/, '');
}

/** A Graph client with the system user's token, or a message naming what is missing. */
export function graphFor(config: Config): GraphClient | { missing: string } {
  const { accessToken, graphUrl, graphVersion } = config.meta;
  if (!accessToken) return { missing: 'META_ACCESS_TOKEN' };
  return createGraphClient({ graphUrl, version: graphVersion, token: accessToken });
}

/** A Graph client with the app token (`APP_ID|APP_SECRET`), for the app's webhook subscription. */
export function appGraphFor(config: Config): GraphClient | null {
  const { appId, graphUrl, graphVersion } = config.meta;
  const [appSecret] = config.whatsapp.appSecrets;
  return appId && appSecret ? createGraphClient({ graphUrl, version: graphVersion, token: `${appId}|${appSecret}` }) : null;
}
