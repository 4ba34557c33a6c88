import { parseArgs } from 'node:util';

export const DEMO_USAGE = `usage: npm run demo [-- --speech "<what Meta's robot says>"]

  --speech <text>  what the robot says on the call (default: a random 6-digit code, said twice);
                   the demo then expects whatever code a careful listener hears in it, or none
  -h, --help       print this and exit
`;

/** What the demo was asked to do: run (with the robot's words, if given), print its usage, or refuse. */
export type DemoArguments = { run: true; speech?: string } | { run: false; help: true } | { run: false; help: false; problem: string };

/**
 * Reads the demo's arguments, strictly: an option it does not know, or a stray word, is refused
 * with its usage rather than ignored (a mistyped `--speach` would otherwise run the default call).
 */
export function parseDemoArguments(argv: string[]): DemoArguments {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { speech: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) return { run: false, help: true };
    return values.speech === undefined ? { run: true } : { run: true, speech: values.speech };
  } catch (error) {
    // Node's first sentence names the argument ("Unknown option '--speach'", "Unexpected argument 'x'").
    const message = String((error as { message?: unknown }).message ?? error);
    return { run: false, help: false, problem: message.split('. ')[0] ?? message };
  }
}
