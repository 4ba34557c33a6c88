// The package's public surface, for running wa-onboard inside another Node program
// (`npm start` runs main.ts, compiled to dist/, instead).
export { ConfigError, loadConfig, type Config, type Env, type LocalSecrets } from './config';
export { createLogger, type Logger } from './observability/logger';
export { createService, type Service, type ServiceOptions } from './service';
export type { WebhookOverview } from './whatsapp/overview';
export type { WhatsAppEvent, EventKind } from './whatsapp/event';
export type { ExplainedError } from './whatsapp/explain-error';
export { signPayload } from './whatsapp/sign';
export { verifySignature } from './whatsapp/verify-signature';
