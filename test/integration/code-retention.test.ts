import fs from 'node:fs';
import path from 'node:path';
import { callParams, eventually, startHarness, type Harness } from '../helpers/harness';
import { readStore } from '../helpers/store-reader';

const DAY_MS = 24 * 60 * 60_000;

/** A clock the test moves forward, as the days of a retention period pass. */
function movableClock() {
  let offsetMs = 0;
  return { now: () => new Date(Date.now() + offsetMs), advance: (ms: number) => (offsetMs += ms) };
}

/** A call that heard part of the code, then all of it. */
async function callWithCode(h: Harness, callSid: string, code: string): Promise<void> {
  await h.twilioPost('/twilio/voice', callParams(callSid));
  await h.twilioPost('/twilio/gather?listen=1', callParams(callSid, { SpeechResult: `my code is ${code.slice(0, 3)}` }));
  await h.twilioPost('/twilio/gather?listen=2', callParams(callSid, { SpeechResult: code.split('').join(' ') }));
}

/** What the database holds of calls, read from outside the service. */
function rowsOf(h: Harness) {
  return readStore(h.store, async (rows) => ({
    calls: (await rows<{ call_sid: string; heard: unknown }>('SELECT call_sid, heard FROM calls ORDER BY call_sid')).map((r) => [
      r.call_sid,
      typeof r.heard === 'string' ? (JSON.parse(r.heard) as unknown) : r.heard,
    ]),
    codes: (await rows<{ code: string }>('SELECT code FROM codes')).map((r) => r.code),
    deliveries: (await rows<{ n: number }>('SELECT CAST(count(*) AS INTEGER) AS n FROM deliveries'))[0]?.n,
  }));
}

/** The messages in the outbox: files written whole (a message is written aside, then renamed). */
function messages(outbox: string): string[] {
  return fs.existsSync(outbox) ? fs.readdirSync(outbox).filter((name) => !name.startsWith('.')) : [];
}

describe('the codes retention period', () => {
  it('prunes calls, what was heard, codes and their deliveries past CODE_RETENTION_DAYS, and keeps what is younger', async () => {
    const clock = movableClock();
    const h = await startHarness({ clock, env: { CODE_RETENTION_DAYS: '5' } });
    try {
      await callWithCode(h, 'CAold', '482917');
      await h.smtp.waitFor(1);
      await h.twilioApi.waitForMessages(1);
      clock.advance(4 * DAY_MS);
      await callWithCode(h, 'CAnew', '135790');
      await h.smtp.waitFor(2);
      await h.twilioApi.waitForMessages(2);
      await eventually(async () => ((await h.codes()).every((c) => c.deliveries.every((d) => d.status === 'sent')) ? true : undefined));
      expect((await rowsOf(h)).calls).toEqual([
        ['CAnew', ['my code is 135']],
        ['CAold', ['my code is 482']],
      ]);

      clock.advance(2 * DAY_MS); // the first call is 6 days old, the second 2
      await h.service.pruner.runNow();

      expect((await h.codes()).map((c) => c.code)).toEqual(['135790']);
      // Its code's email and SMS, and its "no code heard" notice, cancelled by the code.
      expect(await rowsOf(h)).toEqual({ calls: [['CAnew', ['my code is 135']]], codes: ['135790'], deliveries: 4 });
      expect(h.logs.some((l) => l.includes('pruned calls, codes and outbox files past the retention period'))).toBe(true);
      // Counts only: the log never holds a code.
      expect(h.logs.join('\n')).not.toContain('482917');
    } finally {
      await h.close();
    }
  });

  it('deletes outbox files past the retention period in local mode, and keeps younger ones and the spool', async () => {
    const clock = movableClock();
    // No SMTP_URL in local mode: each email is a file in DATA_DIR/outbox.
    const h = await startHarness({ clock, env: { NODE_ENV: 'development', SMTP_URL: '', NOTIFY_SMS_TO: '' } });
    const outbox = path.join(h.dataDir, 'outbox');
    const spooled = path.join(h.dataDir, 'spool', 'kept-until-reconciled.json.partial');
    try {
      await callWithCode(h, 'CAold', '482917');
      const [oldFile = ''] = await eventually(() => (messages(outbox).length === 1 ? messages(outbox) : undefined));
      // A file in the spool the spool worker does not read (not .json): only its own rules remove spool files.
      fs.mkdirSync(path.dirname(spooled), { recursive: true });
      fs.writeFileSync(spooled, '{}');
      clock.advance(29 * DAY_MS);
      await callWithCode(h, 'CAnew', '135790');
      const newFile = await eventually(() => messages(outbox).find((name) => name !== oldFile));
      // Outbox files are judged by when they were written, on the clock the test moves.
      const written = clock.now();
      fs.utimesSync(path.join(outbox, newFile), written, written);

      clock.advance(2 * DAY_MS); // the first call and its email are 31 days old (default 30), the second 2
      await h.service.pruner.runNow();

      expect(fs.readdirSync(outbox)).toEqual([newFile]);
      expect(fs.existsSync(spooled)).toBe(true);
      expect((await h.codes()).map((c) => c.code)).toEqual(['135790']);
    } finally {
      await h.close();
    }
  });
});
