import { freePort } from '../../src/embedded/free-port';
import { runCommand } from '../helpers/cli';

const LOCAL = { DATA_DIR: '/nonexistent-wa-onboard-test-dir', ADMIN_TOKEN: 'a'.repeat(24) };

describe('the wa-onboard command line', () => {
  it('prints help with every command, and exits 0', async () => {
    const run = await runCommand(['--help'], {});

    expect(run.code).toBe(0);
    for (const command of ['doctor', 'twilio', 'simulate', 'meta']) expect(run.stdout).toContain(command);
  });

  it.each(['doctor', 'twilio connect', 'simulate call', 'simulate webhook', 'meta verify', 'events dead-letters', 'events replay', 'events backfill'])('has --help on %s', async (command) => {
    const run = await runCommand([...command.split(' '), '--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: wa-onboard ${command} [options]`);
  });

  it('lists the steps --from takes', async () => {
    const run = await runCommand(['meta', 'verify', '--help'], {});
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      '"add-number", "request-code", "wait-for-code", "verify-code", "register", "subscribe-app", "set-webhook", "wait-connected"',
    );
  });

  it('exits 2 on an unknown command, saying so', async () => {
    const run = await runCommand(['registr'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'registr'");
  });

  it.each([
    [['meta', 'verify', '--timeout', 'soon'], 'must be a whole number of seconds'],
    [['meta', 'verify', '--pin', '1234'], 'must be exactly 6 digits'],
    [['meta', 'verify', '--language', 'English please'], 'must be a locale such as en_US'],
    [['meta', 'verify', '--from', 'the-start'], 'Allowed choices are add-number'],
    [['simulate', 'call', '--digits', '12ab56'], 'must be 4 to 10 digits'],
    [['simulate', 'call', '--digits', '123456', '--speech', 'one two three'], 'cannot be used with option'],
    [['events', 'backfill', '--target', 'https://app.example.com/hook', '--since', 'yesterday'], 'must be a duration such as 90m, 36h, 2d or 1w'],
    [['events', 'backfill', '--since', '2d'], "required option '--target <url>' not specified"],
    [['events', 'backfill', '--target', 'https://app.example.com/hook'], "required option '--since <when>' not specified"],
    [['events', 'dead-letters', '--status', 'sent'], 'Allowed choices are rejected, expired'],
    [['events', 'dead-letters', '--limit', '0'], 'must be a whole number from 1 to 1000000'],
    [['events', 'dead-letters', '--all', '--limit', '20'], "option '--limit <n>' cannot be used with option '--all'"],
    [['events', 'replay', '--status', 'pending'], 'Allowed choices are rejected, expired'],
  ])('exits 2 on %j, naming the problem', async (argv, message) => {
    const run = await runCommand(argv, LOCAL);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('exits 78 with every configuration problem listed when the settings are invalid', async () => {
    const run = await runCommand(['simulate', 'webhook', '--challenge', '--json'], { NODE_ENV: 'production', PUBLIC_URL: 'ftp://x' });
    const result = run.json<{ ok: boolean; problems: string[] }>();

    expect(run.code).toBe(78);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^PUBLIC_URL:/) as string, expect.stringMatching(/^ADMIN_TOKEN:/) as string]));
  });

  it('exits 78 naming NODE_ENV when it is neither production, development nor test', async () => {
    const run = await runCommand(['simulate', 'webhook', '--challenge', '--json'], { ...LOCAL, NODE_ENV: 'prod' });

    expect(run.code).toBe(78);
    expect(run.json<{ problems: string[] }>().problems).toEqual([expect.stringMatching(/^NODE_ENV: must be production, development or test, or unset/)]);
  });

  it('has doctor fail its settings check on NODE_ENV=prod, though it checks as production whatever NODE_ENV says', async () => {
    const run = await runCommand(['doctor', '--json'], { ...LOCAL, NODE_ENV: 'prod' });
    const { checks } = run.json<{ checks: Array<{ id: string; status: string; detail: string }> }>();

    expect(run.code).toBe(1);
    expect(checks[0]).toMatchObject({ id: 'config', status: 'fail' });
    expect(checks[0]?.detail.split('\n')[1]).toMatch(/^NODE_ENV: must be production, development or test/);
  });

  it('says where the service could not be reached', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await runCommand(['simulate', 'webhook', '--url', closed], {
      ...LOCAL,
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'f'.repeat(32),
      WHATSAPP_VERIFY_TOKEN: 'verify-token-0123',
      WHATSAPP_APP_SECRET: 'app-secret-0123456789abcdef',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`could not reach the service at ${closed}: ECONNREFUSED`);
    expect(run.stdout).toContain('fix: Start the service');
  });
});
