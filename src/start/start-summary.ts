import { maskedDatabaseUrl, type Config } from '../config';
import { isLoopbackUrl } from '../loopback';
import { WEBHOOK_PATH } from '../whatsapp/routes';

/** What only the running process knows, besides its configuration. */
export interface StartFacts {
  version: string;
  /** Where this machine reaches the service: the address it listens on. */
  localUrl: string;
  /** The file local mode generated secrets into, when it did. */
  secretsFile?: string;
  /** `LoadedConfig.missingForProduction`: each problem starts with its variable. */
  missingForProduction: string[];
  /** Where messages without a transport are written (local mode). */
  outboxDir?: string;
}

/**
 * The plain-text block printed on a terminal at start: the mode, the page, where the admin token
 * is, the URLs to give Twilio and Meta, and what production still needs. It never holds a secret's
 * value, only the file a generated one is in.
 */
export function renderStartSummary(config: Config, facts: StartFacts): string {
  const loopback = isLoopbackUrl(config.publicUrl);
  const page = loopback ? facts.localUrl : config.publicUrl;
  const rows: Array<[string, string]> = [
    ['Operator page', `${page}/`],
    ...adminTokenRows(config, facts.secretsFile),
    ['Twilio', `${config.publicUrl}/twilio/voice`],
    ['', `the number's "A call comes in" webhook, HTTP POST (or: npx wa-onboard twilio connect)`],
    ['Meta', `${config.publicUrl}${WEBHOOK_PATH}`],
    ['', `the callback URL, with the verify token WHATSAPP_VERIFY_TOKEN${generatedNote(config, 'WHATSAPP_VERIFY_TOKEN', facts.secretsFile)}`],
    ['Data', config.database.kind === 'sqlite' ? `SQLite in ${config.dataDir}` : `PostgreSQL at ${maskedDatabaseUrl(config.database.url)}`],
    ...(facts.outboxDir ? [['Outbox', `${facts.outboxDir} (emails and SMS with no transport)`] as [string, string]] : []),
  ];
  const notes = [
    ...(loopback ? [`Twilio and Meta cannot reach ${new URL(config.publicUrl).hostname}: set PUBLIC_URL to this service's public https address.`] : []),
    ...checksOffNote(config),
    missingNote(config.mode, facts.missingForProduction),
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return [
    `wa-onboard ${facts.version}, ${config.mode === 'local' ? 'local mode (NODE_ENV is not production)' : 'production'}`,
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`),
    '',
    ...notes.flatMap((note) => wrap(note, 2)),
    '',
  ].join('\n');
}

function adminTokenRows(config: Config, secretsFile: string | undefined): Array<[string, string]> {
  if (!config.generatedSecrets.includes('ADMIN_TOKEN') || !secretsFile) return [['Admin token', 'ADMIN_TOKEN, as set']];
  // The path goes into a JS string inside single quotes: a path holding a quote gets no command.
  const print = secretsFile.includes("'") ? [] : [['', `print it: node -p 'require(${JSON.stringify(secretsFile)}).ADMIN_TOKEN'`] as [string, string]];
  return [['Admin token', `generated into ${secretsFile}`], ...print];
}

function generatedNote(config: Config, key: 'WHATSAPP_VERIFY_TOKEN', secretsFile: string | undefined): string {
  return config.generatedSecrets.includes(key) && secretsFile ? ' (generated into the same file)' : '';
}

function checksOffNote(config: Config): string[] {
  const off = [
    ...(config.twilio.verifySignatures ? [] : ['TWILIO_SIGNATURE_CHECK']),
    ...(config.whatsapp.verifySignatures ? [] : ['WHATSAPP_SIGNATURE_CHECK']),
  ];
  return off.length > 0 ? [`Signature checks are off (${off.join(', ')}): anyone who can reach the service can post to it.`] : [];
}

function missingNote(mode: Config['mode'], problems: string[]): string {
  if (mode === 'production') return 'Production: every required setting is in place.';
  if (problems.length === 0) return 'For production: every setting is in place; set NODE_ENV=production.';
  const variables = [...new Set(problems.map((problem) => problem.split(': ')[0] ?? problem))];
  return `Missing for production: ${variables.join(', ')}. Each is described in .env.example; then set NODE_ENV=production.`;
}

/** `text` in lines of at most 100 characters, indented by `by`, the lines after the first by two more. */
function wrap(text: string, by: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const indent = ' '.repeat(lines.length === 0 ? by : by + 2);
    if (line !== '' && indent.length + line.length + 1 + word.length > 100) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, ' '.repeat(lines.length === 0 ? by : by + 2) + line];
}
