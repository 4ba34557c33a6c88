import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_TOKEN, callParams, eventually, META_CALLER, startHarness, type Harness } from '../helpers/harness';
import { operatorPage } from '../helpers/operator-page';
import { testPostgresUrl } from '../helpers/postgres/test-schema';
import { readStore } from '../helpers/store-reader';

/**
 * The phone line is open to everyone (issue 16): whoever calls gets the same answers, is stored and
 * shown, but only calls within CALL_FORWARD_LIMIT per hour, from callers CALLERS_ALLOWED lets in,
 * make the team's email and phones ring.
 */

const sidOf = (n: number) => `CA${String(n).padStart(32, '0')}`;
const codeOf = (n: number) => String(100_000 + n * 7);
const PAUSED = /^Call forwarding paused/;
const RECORDING = { RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1' };

/** A call in which the caller keys `digits`; the TwiML of both answers. */
async function keyedCall(h: Harness, sid: string, from: string, digits: string): Promise<string[]> {
  const answer = await h.twilioPost('/twilio/voice', callParams(sid, { From: from }));
  const gather = await h.twilioPost('/twilio/gather?listen=1', callParams(sid, { From: from, Digits: digits }));
  return [await twimlOf(answer), await twimlOf(gather)];
}

/** A call in which the caller says `speech` (no code in it), then hangs up before the fallback recording. */
async function silentCall(h: Harness, sid: string, from: string, speech?: string): Promise<void> {
  await twimlOf(await h.twilioPost('/twilio/voice', callParams(sid, { From: from })));
  if (speech) await twimlOf(await h.twilioPost('/twilio/gather?listen=1', callParams(sid, { From: from, SpeechResult: speech })));
  await h.twilioPost('/twilio/call-recording', callParams(sid, { From: from, ...RECORDING }));
}

async function twimlOf(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
  return res.text();
}

/** Resolves once every delivery stored is settled (sent or failed): nothing more will go out. */
async function settled(h: Harness): Promise<void> {
  await eventually(async () => {
    const [row] = await readStore(h.store, (rows) => rows<{ n: number }>(`SELECT CAST(count(*) AS INTEGER) AS n FROM deliveries WHERE status = 'pending'`));
    return row?.n === 0 ? true : undefined;
  });
  await h.service.worker.idle();
}

/** How many calls the store holds, by forwarding. */
async function callsByForwarding(h: Harness): Promise<Record<string, number>> {
  const rows = await readStore(h.store, (read) =>
    read<{ forwarding: string; n: number }>(`SELECT forwarding, CAST(count(*) AS INTEGER) AS n FROM calls GROUP BY forwarding`),
  );
  return Object.fromEntries(rows.map((r) => [r.forwarding, Number(r.n)]));
}

async function codesApi(h: Harness): Promise<Array<{ code: string; callSid: string; forwarding: string; deliveries: unknown[] }>> {
  const res = await fetch(`${h.url}/api/codes?limit=500`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await res.json()) as { codes: Array<{ code: string; callSid: string; forwarding: string; deliveries: unknown[] }> }).codes;
}

describe('the hourly forwarding budget (CALL_FORWARD_LIMIT, 10 by default)', () => {
  let h: Harness;
  const answers: string[][] = [];
  beforeAll(async () => {
    h = await startHarness();
    // Twelve calls in the hour, each keying its own code: the 11th and the 12th are over the limit.
    for (let n = 1; n <= 12; n++) answers.push(await keyedCall(h, sidOf(n), META_CALLER, codeOf(n)));
    await settled(h);
  });
  afterAll(() => h.close());

  it('answers the calls over the limit exactly as the others: listening, then goodbye', () => {
    const [first, eleventh] = [answers[0], answers[10]];
    expect(eleventh).toEqual(first);
    expect(eleventh?.[0]).toContain('<Gather');
    expect(eleventh?.[1]).toContain('<Hangup/>');
  });

  it('emails and texts the codes of the first 10 calls only', () => {
    const codeEmails = h.smtp.received.filter((e) => !PAUSED.test(e.subject));
    const codeSms = h.twilioApi.messages.filter((m) => !PAUSED.test(m.body));
    const sent = Array.from({ length: 10 }, (_, i) => codeOf(i + 1)).sort();
    expect(codeEmails.map((e) => /: (\d{6})$/.exec(e.subject)?.[1]).sort()).toEqual(sent);
    expect(codeSms.map((m) => /: (\d{6})$/.exec(m.body)?.[1]).sort()).toEqual(sent);
  });

  it('stores the held calls and their codes, and lists the codes at /api/codes as not forwarded, with no deliveries', async () => {
    expect(await callsByForwarding(h)).toEqual({ forwarded: 10, 'over-limit': 2 });
    const codes = await codesApi(h);
    expect(codes).toHaveLength(12);
    const held = codes.filter((c) => c.forwarding !== 'forwarded');
    expect(held.map((c) => [c.callSid, c.code, c.forwarding, c.deliveries]).sort()).toEqual([
      [sidOf(11), codeOf(11), 'over-limit', []],
      [sidOf(12), codeOf(12), 'over-limit', []],
    ]);
  });

  it('tells each recipient once that forwarding paused, by email and by SMS', () => {
    const pauseEmails = h.smtp.received.filter((e) => PAUSED.test(e.subject));
    const pauseSms = h.twilioApi.messages.filter((m) => PAUSED.test(m.body));
    expect(pauseEmails.map((e) => e.to)).toEqual([['team@example.com']]);
    expect(pauseEmails[0]?.text).toContain('CALL_FORWARD_LIMIT');
    expect(pauseSms.map((m) => m.to)).toEqual(['+15005550001']);
  });

  it('sends nothing more for further calls that hour: no second pause notice', async () => {
    const before = { emails: h.smtp.received.length, sms: h.twilioApi.messages.length };
    await keyedCall(h, sidOf(13), META_CALLER, codeOf(13));
    await silentCall(h, sidOf(14), META_CALLER, 'hello is anyone there');
    await settled(h);
    expect({ emails: h.smtp.received.length, sms: h.twilioApi.messages.length }).toEqual(before);
    expect((await callsByForwarding(h))['over-limit']).toBe(4);
  });

  it('shows the latest call and its code on the operator page as not forwarded: over the hourly limit', async () => {
    await keyedCall(h, sidOf(15), META_CALLER, codeOf(15));
    const page = await operatorPage(h);
    expect(page).toContain('not forwarded: over the hourly limit');
    expect(page).toContain('Not forwarded: over the hourly limit (CALL_FORWARD_LIMIT).');
    expect(page).toContain(`>${codeOf(15)}<`);
  });
});

describe('CALLERS_ALLOWED', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { CALLERS_ALLOWED: '+44, +1415' } });
  });
  afterEach(() => h.close());

  it('answers a caller outside the list with TwiML as usual, stores and shows the call and its code, and sends nothing', async () => {
    const [answer, goodbye] = await keyedCall(h, sidOf(1), META_CALLER, '482917');
    expect(answer).toContain('<Gather');
    expect(goodbye).toContain('<Hangup/>');
    await silentCall(h, sidOf(2), '+33612345678', 'bonjour');
    await settled(h);

    expect(h.smtp.received).toEqual([]);
    expect(h.twilioApi.messages).toEqual([]);
    expect(await callsByForwarding(h)).toEqual({ 'caller-not-allowed': 2 });
    expect(await codesApi(h)).toMatchObject([{ code: '482917', callSid: sidOf(1), forwarding: 'caller-not-allowed', deliveries: [] }]);
    const page = await operatorPage(h);
    expect(page).toContain('not forwarded: caller not allowed');
    expect(page).toContain('Not forwarded: caller not allowed (CALLERS_ALLOWED).');
  });

  it('keeps a stranger\'s code heard while the database is down in the spool, with no one to send it to', async () => {
    await h.service.stores.close();
    const [answer, goodbye] = await keyedCall(h, sidOf(4), META_CALLER, '482917');
    expect(answer).toContain('<Gather');
    expect(goodbye).toContain('<Hangup/>');
    const spooled = JSON.parse(fs.readFileSync(path.join(h.dataDir, 'spool', `${sidOf(4)}-482917.json`), 'utf8')) as {
      captured: { call: { forwarding: string } };
      recipients: unknown[];
    };
    expect(spooled.captured.call.forwarding).toBe('caller-not-allowed');
    expect(spooled.recipients).toEqual([]);
    await h.service.spool.runNow();
    expect(h.smtp.received).toEqual([]);
    expect(h.twilioApi.attempts).toBe(0);
  });

  it('forwards a caller whose number starts with an allowed prefix', async () => {
    await keyedCall(h, sidOf(3), '+14155550123', '135790');
    const [email] = await h.smtp.waitFor(1);
    expect(email?.subject).toContain('135790');
    expect((await codesApi(h))[0]?.forwarding).toBe('forwarded');
  });
});

describe('the "no code heard" notice', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("quotes what the caller said as one line of plain text, labelled as their words, at most 200 characters by email and 80 by SMS", async () => {
    const hostile = `Urgent!\r\nBcc: victim@example.com\r\nSubject: pay now <a href="https://evil.example">click</a> ${'blah '.repeat(80)}`;
    await silentCall(h, sidOf(1), META_CALLER, hostile);
    const [email] = await h.smtp.waitFor(1);
    const [sms] = await h.twilioApi.waitForMessages(1);

    const quoted = /^The caller said \(their words, not ours\): "(.*)"$/m.exec(email?.text ?? '')?.[1] ?? '';
    expect(quoted.startsWith("Urgent! Bcc: victim@example.com Subject: pay now <a href='https://evil.example'>click</a> blah")).toBe(true);
    expect(Array.from(quoted)).toHaveLength(200);
    expect(quoted.endsWith('…')).toBe(true);
    expect(email?.to).toEqual(['team@example.com']);
    expect(email?.headerLines.some((line) => /^bcc:/i.test(line))).toBe(false);
    expect(email?.subject).toBe('No code heard on the verification call to +15005550006');

    const smsQuoted = /The caller said \(their words, not ours\): "(.*?)"\./.exec(sms?.body ?? '')?.[1] ?? '';
    expect(Array.from(smsQuoted)).toHaveLength(80);
    expect(sms?.body).not.toMatch(/[\r\n]/);
  });
});

/**
 * A flood: `calls` calls from random callers, all at once, spread over `instances`, each keying a
 * code or saying nothing and hanging up. What reached the team, and what the store holds.
 */
async function flood(instances: Harness[], calls: number) {
  await Promise.all(
    Array.from({ length: calls }, (_, n) => {
      const h = instances[n % instances.length] as Harness;
      const from = `+1${randomInt(200, 999)}${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
      return n % 2 === 0 ? keyedCall(h, sidOf(1_000 + n), from, String(randomInt(100_000, 1_000_000))) : silentCall(h, sidOf(1_000 + n), from);
    }),
  );
  for (const h of instances) await settled(h);
  const [first] = instances as [Harness];
  const byForwarding = await callsByForwarding(first);
  const emails = first.smtp.received;
  const sms = first.twilioApi.messages;
  const counts = {
    calls,
    forwarded: byForwarding.forwarded ?? 0,
    held: byForwarding['over-limit'] ?? 0,
    pauseNotices: emails.filter((e) => PAUSED.test(e.subject)).length,
    emails: emails.length,
    sms: sms.length,
  };
  process.stderr.write(`\n[call flood] ${first.service.backend}, ${instances.length} instance(s): ${JSON.stringify(counts)}\n`);
  return counts;
}

describe('a call flood', () => {
  it('forwards 10 of 50 calls from random callers and holds back 40, with one pause notice: one email and one SMS per forwarded call, and one of each for the pause', async () => {
    const h = await startHarness();
    try {
      expect(await flood([h], 50)).toEqual({ calls: 50, forwarded: 10, held: 40, pauseNotices: 1, emails: 11, sms: 11 });
    } finally {
      await h.close();
    }
  });
});

const onPostgres = testPostgresUrl() ? describe : describe.skip;

onPostgres('the forwarding budget across two instances on one PostgreSQL', () => {
  let a: Harness;
  let b: Harness;
  afterEach(async () => {
    await b?.service.close();
    await a?.close();
  });

  it('forwards 10 of 50 calls arriving at once on both instances, holds back 40, and pauses once', async () => {
    a = await startHarness({ postgres: true });
    b = await startHarness({ smtp: a.smtp, twilioApi: a.twilioApi, env: { DATABASE_URL: a.env.DATABASE_URL } });
    expect(await flood([a, b], 50)).toEqual({ calls: 50, forwarded: 10, held: 40, pauseNotices: 1, emails: 11, sms: 11 });
  });
});
