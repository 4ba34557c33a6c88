import type { Env } from '../../src/config';
import type { OutputStream } from '../../src/cli/io';
import { createOutput } from '../../src/cli/output';

// Any ANSI escape sequence: what must never reach a pipe, a log or a NO_COLOR reader.
const ANSI = '\x1b[';

function recordingStream(isTTY: boolean | undefined): OutputStream & { text: () => string } {
  const writes: string[] = [];
  return { isTTY, write: (text: string) => writes.push(text), text: () => writes.join('') };
}

/** Prints one of everything a human run prints, and returns what reached stdout. */
function printAll(options: { isTTY: boolean | undefined; env?: Env; color: boolean }): string {
  const stdout = recordingStream(options.isTTY);
  const out = createOutput({ stdout, env: options.env ?? {}, json: false, color: options.color });
  out.mark('pass', 'Twilio account', 'active');
  out.mark('fail', 'Voice URL', 'empty', 'Run wa-onboard twilio point-voice.');
  out.mark('skip', 'SMS', 'not configured');
  out.mark('info', 'PIN');
  out.line(`PIN ${out.strong('123456')} ${out.dim('shown once')}`);
  return stdout.text();
}

describe('createOutput', () => {
  it('writes no ANSI escapes when stdout is not a terminal', () => {
    const text = printAll({ isTTY: undefined, color: true });
    expect(text).toContain('✗ Voice URL: empty');
    expect(text).not.toContain(ANSI);
  });

  it('writes no ANSI escapes when NO_COLOR is set, even on a terminal', () => {
    expect(printAll({ isTTY: true, env: { NO_COLOR: '1' }, color: true })).not.toContain(ANSI);
  });

  it('writes no ANSI escapes on a dumb terminal', () => {
    expect(printAll({ isTTY: true, env: { TERM: 'dumb' }, color: true })).not.toContain(ANSI);
  });

  it('writes no ANSI escapes when color is off, even on a terminal', () => {
    expect(printAll({ isTTY: true, color: false })).not.toContain(ANSI);
  });

  it('colours the output on a terminal when color is on', () => {
    expect(printAll({ isTTY: true, color: true })).toContain(ANSI);
  });

  it('prints nothing on mark or line in json mode, and exactly one JSON document on result', () => {
    const stdout = recordingStream(true);
    const out = createOutput({ stdout, env: {}, json: true, color: true });
    out.mark('pass', 'Twilio account', 'active');
    out.mark('fail', 'Voice URL', 'empty', 'Run wa-onboard twilio point-voice.');
    out.line('a plain line');
    expect(stdout.text()).toBe('');
    const document = { ok: false, checks: [{ name: 'voice-url', ok: false }] };
    out.result(document);
    expect(JSON.parse(stdout.text())).toEqual(document);
    expect(stdout.text()).not.toContain(ANSI);
  });

  it('prints no result document without json mode', () => {
    const stdout = recordingStream(false);
    createOutput({ stdout, env: {}, json: false, color: false }).result({ ok: true });
    expect(stdout.text()).toBe('');
  });

  it('prints each further line of a detail indented under its title, after "- "', () => {
    const stdout = recordingStream(false);
    const out = createOutput({ stdout, env: {}, json: false, color: false });
    out.mark('fail', 'Voice webhook', 'two problems\nthe voice URL is empty\nthe voice URL is called with GET, not POST');
    expect(stdout.text()).toBe(
      ['✗ Voice webhook: two problems', '    - the voice URL is empty', '    - the voice URL is called with GET, not POST', ''].join('\n'),
    );
  });

  it('prints the fix of a failure on its own line after it', () => {
    const stdout = recordingStream(false);
    const out = createOutput({ stdout, env: {}, json: false, color: false });
    out.mark('fail', 'Voice URL', 'empty', 'Run wa-onboard twilio point-voice.');
    expect(stdout.text()).toBe('✗ Voice URL: empty\n    fix: Run wa-onboard twilio point-voice.\n');
  });

  it('prints a title alone when there is no detail', () => {
    const stdout = recordingStream(false);
    createOutput({ stdout, env: {}, json: false, color: false }).mark('pass', 'Twilio account');
    expect(stdout.text()).toBe('✓ Twilio account\n');
  });
});
