import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const ROOT = path.join(__dirname, '..', '..');

/** Runs the command as its `bin` runs, from `cwd`, with only the given environment. */
function wa(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('the wa-onboard executable', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  it('is the package bin, built from src/cli/main.ts with its shebang', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ 'wa-onboard': 'dist/cli/main.js' });
    expect(fs.readFileSync(path.join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('sets the process exit code: 0 for help, 2 for a usage error', async () => {
    expect((await wa(['--help'], dir)).code).toBe(0);
    const wrong = await wa(['doctr'], dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("unknown command 'doctr'");
  });

  it("prints the package's version with --version (and -V), exit 0", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await wa([flag], dir);
      expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('reads .env like the service does, the environment winning over it', async () => {
    fs.writeFileSync(path.join(dir, '.env'), 'NODE_ENV=production\nPUBLIC_URL=https://onboard.example.com\nADMIN_TOKEN=short\n');
    const run = await wa(['doctor', '--json'], dir, { ADMIN_TOKEN: 'a-long-enough-admin-token-0123' });
    const config = (JSON.parse(run.stdout) as { checks: Array<{ id: string; detail: string }> }).checks.find((c) => c.id === 'config');

    expect(run.code).toBe(1);
    expect(config?.detail).not.toContain('PUBLIC_URL');
    expect(config?.detail).not.toContain('ADMIN_TOKEN');
    expect(config?.detail).toContain('TWILIO_ACCOUNT_SID: required');
  });
});
