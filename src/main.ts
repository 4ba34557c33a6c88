import dotenv from 'dotenv';
import { loadConfig } from './config';
import { prepareDataDir } from './data-dir/prepare-data-dir';
import { readOrCreateLocalSecrets } from './local-secrets';
import { createLogger, logFormatFor, type Logger } from './observability/logger';
import { createService, type Service } from './service';
import { listenError } from './start/listen-error';
import { describeStartFailure, startFailureText } from './start/start-failure';
import { renderStartSummary } from './start/start-summary';
import { VERSION } from './version';

/** Boots: config → DATA_DIR → logger → service → listen; drains on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  // .env fills in what the environment does not set; it never overrides the environment.
  dotenv.config({ quiet: true });
  let secretsFile: string | undefined;
  const { config, notices, missingForProduction } = loadConfig(process.env, (dataDir) => {
    prepareDataDir(dataDir);
    const { secrets, file } = readOrCreateLocalSecrets(dataDir);
    secretsFile = file;
    return secrets;
  });
  // Checked before anything is kept there, whichever store: the spool of codes lives in it too.
  prepareDataDir(config.dataDir);
  const format = logFormatFor(config.logFormat, process.stdout.isTTY === true);
  const logger = createLogger({ level: config.logLevel, format });
  // On a terminal the start summary says the same in fewer words: these lines stay for LOG_LEVEL=debug.
  const notice = format === 'pretty' ? logger.debug.bind(logger) : logger.warn.bind(logger);
  for (const text of notices) notice(text);
  if (secretsFile) notice({ file: secretsFile }, 'generated local secrets are kept in this file');

  const service = await createService(config, { logger, processMetrics: true });
  if (service.outboxDir) notice({ dir: service.outboxDir }, 'messages without a transport go to the outbox');
  const { url } = await service.listen(config.port, config.host).catch(async (error: unknown) => {
    await service.close();
    throw listenError(config.port, config.host, error);
  });
  if (format === 'pretty') {
    const facts = { version: VERSION, localUrl: url, secretsFile, missingForProduction, outboxDir: service.outboxDir };
    process.stdout.write(`${renderStartSummary(config, facts)}\n`);
  }
  logger.info(
    { url, publicUrl: config.publicUrl, mode: config.mode, database: service.backend, instance: service.instance, version: VERSION },
    `listening; point Twilio at ${config.publicUrl}/twilio/voice and Meta's webhook at ${config.publicUrl}/webhooks/whatsapp`,
  );

  stopOnSignal(service, logger);
}

/** SIGTERM or SIGINT: stop taking requests, finish what is in flight, close the stores, exit. */
function stopOnSignal(service: Service, logger: Logger): void {
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
  const failure = describeStartFailure(error);
  process.stderr.write(startFailureText(failure));
  process.exit(failure.exitCode);
});
