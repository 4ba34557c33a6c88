import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config';
import { SAMPLE_EVENT_NAMES, type SampleEventName } from '../embedded/sample-webhook-events';
import { REHEARSAL_CALLER, STEP_NAMES, type StepName } from '../meta/onboarding';
import { dbMigrateCommand, dbStatusCommand } from './commands/db';
import { dbCopyCommand, type DbCopyOptions } from './commands/db-copy';
import { doctorCommand } from './commands/doctor';
import { backfillCommand, type BackfillOptions } from './commands/events-backfill';
import { deadLettersCommand, type DeadLettersOptions } from './commands/events-dead-letters';
import { replayCommand, type ReplayOptions } from './commands/events-replay';
import type { CommandContext } from './commands/command-context';
import { metaVerifyCommand, type MetaVerifyOptions } from './commands/meta-verify';
import { simulateCallCommand, type SimulateCallOptions } from './commands/simulate-call';
import { simulateWebhookCommand, type SimulateWebhookOptions } from './commands/simulate-webhook';
import { twilioConnectCommand, type TwilioConnectOptions } from './commands/twilio-connect';
import type { CliIo } from './io';
import { createOutput } from './output';
import { describeFailure } from './describe-failure';
import { ServiceRefusedError } from './service-api';
import { readSince, type Since } from './since';
import { DEAD_LETTER_STATUSES } from '../store/webhook-store';
import { VERSION } from '../version';

/** Exit codes: 0 success, 1 a check or step failed, 2 a usage error, 78 invalid configuration (sysexits EX_CONFIG). */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 78 } as const;

/**
 * Runs `wa-onboard <argv>` and resolves with its exit code. Never calls `process.exit` and never
 * reads `process.env`: the entry point passes both in, so tests run it in-process.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('wa-onboard');
  // Set before any subcommand is added: commander copies these settings into each of them.
  program
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .description("Check a deployment, connect the Twilio number, rehearse Meta's call and webhook, and drive Meta's onboarding API.")
    .version(VERSION, '-V, --version', 'print the version of wa-onboard')
    .option('--json', 'print one JSON document on stdout instead of lines')
    .option('--no-color', 'never colour the output (colour is used on a terminal only)')
    .showHelpAfterError('(run with --help for usage)');

  const action =
    <O>(run: (ctx: CommandContext, options: O) => Promise<number>) =>
    async (options: O, command: Command) => {
      const globals = command.optsWithGlobals<{ json?: boolean; color?: boolean }>();
      const out = createOutput({ stdout: io.stdout, env: io.env, json: globals.json === true, color: globals.color !== false });
      try {
        exitCode = await run({ env: io.env, out, io }, options);
      } catch (error) {
        const failure = describeFailure(error);
        out.mark('fail', failure.message, undefined, failure.fix);
        out.result({ ok: false, error: failure.message, problems: failure.problems });
        // The service refusing what it was asked (400: a target not configured, a `since` too old)
        // is a usage error, as commander's own are.
        exitCode = error instanceof ConfigError ? EXIT.config : error instanceof ServiceRefusedError ? EXIT.usage : EXIT.failed;
      }
    };

  program
    .command('doctor')
    .description('check everything a verification call and the webhook need; change nothing')
    .action(action(doctorCommand));

  const twilio = program.command('twilio').description("the Twilio number's settings");
  twilio
    .command('connect')
    .description("point the number's voice webhook at {PUBLIC_URL}/twilio/voice (POST)")
    .option('--dry-run', 'show the change without making it')
    .option('--force', 'also clear a voice application that overrides the voice URL')
    .action(action<TwilioConnectOptions>(twilioConnectCommand));

  const simulate = program.command('simulate').description("play Twilio's or Meta's part against a running service");
  simulate
    .command('call')
    .description("Meta's verification call as Twilio delivers it, signed with the auth token; reports what was heard and delivered")
    .addOption(new Option('--speech <text>', 'what the robot says (default: a made-up 6-digit code, twice)').conflicts('digits'))
    .option('--digits <digits>', 'key in digits instead of speaking', digitsArgument)
    .option('--url <url>', 'where the service listens, if not at PUBLIC_URL (signatures stay made for PUBLIC_URL)')
    .option('--from <e164>', "the caller's number; with the default, meta verify never takes the rehearsal's code for Meta's", REHEARSAL_CALLER)
    .option('--wait <seconds>', 'how long to wait for the deliveries', secondsArgument, 30)
    .action(action<SimulateCallOptions>(simulateCallCommand));
  simulate
    .command('webhook')
    .description("Meta's webhook: one sample event signed with the app secret, or the subscription check")
    .addOption(new Option('--event <name>', 'the sample event').choices(SAMPLE_EVENT_NAMES).default('text' satisfies SampleEventName))
    .option('--challenge', "only the subscription check (GET with hub.challenge and our verify token)")
    .option('--url <url>', 'where the service listens, if not at PUBLIC_URL')
    .option('--wait <seconds>', 'how long to wait for the event to be dispatched', secondsArgument, 15)
    .action(action<SimulateWebhookOptions>(simulateWebhookCommand));

  const meta = program.command('meta').description("Meta's Graph API for onboarding");
  meta
    .command('verify')
    .description('request the code by voice, wait for the service to hear it, verify, register, subscribe, set the webhook, wait for CONNECTED')
    .addOption(new Option('--from <step>', 'resume at this step').choices(STEP_NAMES))
    .option('--waba-id <id>', 'the WhatsApp Business Account (default META_WABA_ID)')
    .option('--verified-name <name>', 'add the number to the WABA with this display name when it is not there yet')
    .option('--language <tag>', "the language of Meta's call, such as en_US (default VOICE_LANGUAGE)", languageArgument)
    .option('--pin <digits>', 'the two-step verification PIN to register with (default: a new one, shown once)', pinArgument)
    .option('--code <digits>', 'a code you already have: skip the call', digitsArgument)
    .addOption(new Option('--webhook <where>', 'app: the app subscription (needs META_APP_ID); number: an override on the number').choices(['app', 'number']))
    .option('--force', "move the app's webhook even when it points at another URL (it serves every WABA of the app)")
    .option('--url <url>', 'where the service listens, to read the code it hears (default PUBLIC_URL)')
    .option('--timeout <seconds>', 'how long to wait for the code', secondsArgument, 300)
    .option('--connect-timeout <seconds>', 'how long to wait for CONNECTED', secondsArgument, 120)
    .action(action<MetaVerifyOptions & { from?: StepName }>(metaVerifyCommand));

  const events = program.command('events').description("the webhook's forwarded events: dead letters, replay and backfill, through the running service");
  events
    .command('dead-letters')
    .description('list the forwards given up (a target refused them, or they kept failing), newest first')
    .option('--target <url>', 'only those of this target (as in FORWARD_URL, or as the page names it)')
    .addOption(new Option('--status <status>', 'only rejected (refused) or expired (kept failing) ones').choices(DEAD_LETTER_STATUSES))
    .addOption(new Option('--limit <n>', 'list at most this many').argParser(countArgument).default(50).conflicts('all'))
    .option('--all', 'list every one, page after page')
    .option('--url <url>', 'where the service listens, if not at PUBLIC_URL')
    .action(action<DeadLettersOptions>(deadLettersCommand));
  events
    .command('replay')
    .description('send dead letters again (all of them unless narrowed), each with its stored body and Idempotency-Key')
    .option('--target <url>', "only this target's (as in FORWARD_URL, or as the page names it)")
    .option('--event <id>', 'only this event (repeat for more)', collect)
    .addOption(new Option('--status <status>', 'only rejected or expired ones').choices(DEAD_LETTER_STATUSES))
    .option('--url <url>', 'where the service listens, if not at PUBLIC_URL')
    .action(action<ReplayOptions>(replayCommand));
  events
    .command('backfill')
    .description('send a target every stored event since a time that it has not received (a target added later, or one that lost its data)')
    .requiredOption('--target <url>', 'the target, as in FORWARD_URL (or as the page names it)')
    .requiredOption('--since <when>', 'how far back: 90m, 36h, 2d, 1w, or an ISO time such as 2026-12-01T08:00:00Z', sinceArgument)
    .option('--url <url>', 'where the service listens, if not at PUBLIC_URL')
    .action(action<BackfillOptions>(backfillCommand));

  const db = program.command('db').description('the database: SQLite in DATA_DIR, or PostgreSQL at DATABASE_URL');
  db.command('status').description("which database, and whether its schema is this release's").action(action(dbStatusCommand));
  db.command('migrate').description("apply this release's migrations (the release step for DATABASE_MIGRATE=off)").action(action(dbMigrateCommand));
  db.command('copy')
    .description('copy the SQLite database into an empty PostgreSQL one; run again, it adds only what is missing')
    .option('--from <dir>', 'the folder holding wa-onboard.sqlite (default DATA_DIR)')
    .option('--to <url>', 'the PostgreSQL database to copy into (default DATABASE_URL)')
    .action(action<DbCopyOptions>(dbCopyCommand));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
}

function secondsArgument(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new InvalidArgumentError('must be a whole number of seconds from 1 to 86400');
  return n;
}

function countArgument(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new InvalidArgumentError('must be a whole number from 1 to 1000000');
  return n;
}

function sinceArgument(value: string): Since {
  const since = readSince(value);
  if (!since) throw new InvalidArgumentError('must be a duration such as 90m, 36h, 2d or 1w, or an ISO time such as 2026-12-01T08:00:00Z');
  return since;
}

/** A repeatable option's values, in the order given. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function digitsArgument(value: string): string {
  if (!/^\d{4,10}$/.test(value)) throw new InvalidArgumentError('must be 4 to 10 digits');
  return value;
}

function languageArgument(value: string): string {
  if (!/^[a-z]{2,3}([_-][A-Za-z0-9]{2,4}){0,2}$/.test(value)) throw new InvalidArgumentError('must be a locale such as en_US or pt_BR');
  return value;
}

function pinArgument(value: string): string {
  if (!/^\d{6}$/.test(value)) throw new InvalidArgumentError('must be exactly 6 digits');
  return value;
}
