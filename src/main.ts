import dotenv from 'dotenv';
import { ConfigError, loadConfig } from './config';
import { readOrCreateLocalSecrets } from './local-secrets';
import { createLogger } from './observability/logger';
import { createService } from './service';
import { DatabaseUnavailableError } from './store/postgres/connect-failure';
import { SchemaError } from './store/schema-error';

/** Boots: config → logger → service → listen; drains on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  // .env fills in what the environment does not set; it never overrides the environment.
  dotenv.config({ quiet: true });
  let secretsFile: string | undefined;
  const { config, notices } = loadConfig(process.env, (dataDir) => {
    const { secrets, file } = readOrCreateLocalSecrets(dataDir);
    secretsFile = file;
    return secrets;
  });
  const logger = createLogger({ level: config.logLevel });
  for (const notice of notices) logger.warn(notice);
  if (secretsFile) logger.warn({ file: secretsFile }, 'generated local secrets are kept in this file');

  const service = await createService(config, { logger, processMetrics: true });
  if (service.outboxDir) logger.warn({ dir: service.outboxDir }, 'messages without a transport go to the outbox');
  const { url } = await service.listen(config.port, config.host);
  logger.info(
    { url, publicUrl: config.publicUrl, mode: config.mode, database: service.backend, instance: service.instance },
    `listening; point Twilio at ${config.publicUrl}/twilio/voice and Meta's webhook at ${config.publicUrl}/webhooks/whatsapp`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight work');
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DatabaseUnavailableError) {
    process.stderr.write(`wa-onboard: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  if (error instanceof SchemaError) {
    process.stderr.write(`wa-onboard: ${error.message}\n  fix: ${error.fix}\n`);
    process.exit(78);
  }
  process.stderr.write(`wa-onboard: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
