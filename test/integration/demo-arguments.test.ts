import { spawn } from 'node:child_process';
import path from 'node:path';
import { DEMO_USAGE, parseDemoArguments } from '../../src/demo/arguments';

const ROOT = path.join(__dirname, '..', '..');

/** `npm run demo -- <args>`, as npm runs it: src/demo/main.ts through tsx. */
function demo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'demo', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe("npm run demo's arguments", () => {
  it('reads --speech, and --help', () => {
    expect(parseDemoArguments([])).toEqual({ run: true });
    expect(parseDemoArguments(['--speech', 'my code is 1 2 3 4 5 6'])).toEqual({ run: true, speech: 'my code is 1 2 3 4 5 6' });
    expect(parseDemoArguments(['-h'])).toEqual({ run: false, help: true });
  });

  it('refuses what it does not know, naming it: an option, a stray word, --speech without its text', () => {
    expect(parseDemoArguments(['--speach', 'one two'])).toEqual({ run: false, help: false, problem: "Unknown option '--speach'" });
    expect(parseDemoArguments(['one', 'two'])).toEqual({ run: false, help: false, problem: "Unexpected argument 'one'" });
    expect(parseDemoArguments(['--speech'])).toEqual({ run: false, help: false, problem: "Option '--speech <value>' argument missing" });
  });

  it('exits 2 with its usage on an unknown option, before starting anything', async () => {
    const run = await demo(['--speach', 'my code is 1 2 3 4 5 6']);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `demo: Unknown option '--speach'\n\n${DEMO_USAGE}` });
  });

  it('prints its usage with --help, exit 0', async () => {
    expect(await demo(['--help'])).toEqual({ code: 0, stdout: DEMO_USAGE, stderr: '' });
  });

  it('still runs the whole job with --speech, and exits 0', async () => {
    const run = await demo(['--speech', 'my code is one two three four five six']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('OK: code 123456 captured and delivered by email and SMS.');
    expect(run.code).toBe(0);
  }, 60_000);
});
