import { openSqliteStore } from '../../src/store/sqlite-store';
import type { CallInfo, CapturedCode, DeliveryJob, Recipient, Store } from '../../src/store/store';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const LATER = at(24 * 3_600_000);

const CALL: CallInfo = { callSid: `CA${'a'.repeat(32)}`, from: '+16505550100', to: '+14155550123' };
const OTHER_CALL: CallInfo = { callSid: `CA${'b'.repeat(32)}`, from: '+16505550100', to: '+14155550123' };
const RECIPIENTS: Recipient[] = [
  { channel: 'email', to: 'ops@example.com' },
  { channel: 'sms', to: '+14155550199' },
];

function captured(code: string, call: CallInfo = CALL, receivedAt: Date = T0): CapturedCode {
  return { call, code, source: 'speech', receivedAt };
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

let dir: string;
let store: Store;
let open = false;

function openStore(): Store {
  store = openSqliteStore(dir);
  open = true;
  return store;
}

async function closeStore(): Promise<void> {
  await store.close();
  open = false;
}

beforeEach(() => {
  dir = makeTempDir();
  openStore();
});
afterEach(async () => {
  if (open) await closeStore();
  removeTempDir(dir);
});

/** The pending delivery for `channel`, due by LATER. */
async function dueFor(channel: Recipient['channel']): Promise<DeliveryJob> {
  return only((await store.dueDeliveries(LATER, 100)).filter((j) => j.channel === channel));
}

describe('captureCode', () => {
  it('stores the code with one pending delivery per recipient', async () => {
    expect(await store.captureCode(captured('482917'), RECIPIENTS, T0)).toEqual({ created: true });

    const jobs = await store.dueDeliveries(T0, 100);
    expect(jobs.map((j) => [j.kind, j.channel, j.recipient, j.attempts])).toEqual([
      ['code', 'email', 'ops@example.com', 0],
      ['code', 'sms', '+14155550199', 0],
    ]);
    expect(jobs[0]).toMatchObject({
      createdAt: T0,
      call: { ...CALL, recordingUrl: null, heard: [] },
      code: { code: '482917', source: 'speech', receivedAt: T0 },
    });
    expect(await store.callState(CALL.callSid)).toEqual({ hasCode: true, fallback: false });
  });

  it('ignores the same code for the same call a second time', async () => {
    await store.captureCode(captured('482917'), RECIPIENTS, T0);

    expect(await store.captureCode(captured('482917', CALL, at(5_000)), RECIPIENTS, at(5_000))).toEqual({ created: false });
    expect(await store.dueDeliveries(LATER, 100)).toHaveLength(2);
    expect(await store.listCodes(10)).toHaveLength(1);
  });

  it('stores a different code heard on the same call as its own entry', async () => {
    await store.captureCode(captured('482917'), RECIPIENTS, T0);
    expect(await store.captureCode(captured('111111', CALL, at(1_000)), RECIPIENTS, at(1_000))).toEqual({ created: true });
    expect(await store.dueDeliveries(LATER, 100)).toHaveLength(4);
  });

  it('stores a code with no recipients and nothing to deliver', async () => {
    expect(await store.captureCode(captured('482917'), [], T0)).toEqual({ created: true });
    expect(await store.dueDeliveries(LATER, 100)).toEqual([]);
    expect(only(await store.listCodes(10)).deliveries).toEqual([]);
  });
});

describe('dueDeliveries', () => {
  it('returns nothing before the next attempt is due', async () => {
    await store.captureCode(captured('482917'), RECIPIENTS, at(10_000));
    expect(await store.dueDeliveries(at(9_999), 100)).toEqual([]);
    expect(await store.dueDeliveries(at(10_000), 100)).toHaveLength(2);
  });

  it('returns at most `limit` jobs, earliest first', async () => {
    await store.captureCode(captured('222222', OTHER_CALL), RECIPIENTS, at(2_000));
    await store.captureCode(captured('111111'), RECIPIENTS, at(1_000));
    const jobs = await store.dueDeliveries(LATER, 3);
    expect(jobs.map((j) => j.code?.code)).toEqual(['111111', '111111', '222222']);
  });
});

describe('recording delivery attempts', () => {
  beforeEach(async () => {
    await store.captureCode(captured('482917'), RECIPIENTS, T0);
  });

  it('counts a retry and moves the next attempt', async () => {
    const job = await dueFor('email');
    await store.markDeliveryRetry(job.id, 'the mail server asked to try again later: 451', at(30_000));

    expect((await store.dueDeliveries(at(29_999), 100)).map((j) => j.channel)).toEqual(['sms']);
    const again = only((await store.dueDeliveries(at(30_000), 100)).filter((j) => j.id === job.id));
    expect(again.attempts).toBe(1);
    const email = only(only(await store.listCodes(10)).deliveries.filter((d) => d.channel === 'email'));
    expect(email).toMatchObject({ status: 'pending', attempts: 1, error: 'the mail server asked to try again later: 451' });
  });

  it('records a failure, which is never due again', async () => {
    const job = await dueFor('sms');
    await store.markDeliveryRetry(job.id, 'HTTP 503', at(1_000));
    await store.markDeliveryFailed(job.id, "Twilio error 21211: the 'To' number is not a valid phone number");

    expect((await store.dueDeliveries(LATER, 100)).map((j) => j.channel)).toEqual(['email']);
    const sms = only(only(await store.listCodes(10)).deliveries.filter((d) => d.channel === 'sms'));
    expect(sms).toEqual({
      channel: 'sms',
      to: '+14155550199',
      status: 'failed',
      attempts: 2,
      error: "Twilio error 21211: the 'To' number is not a valid phone number",
      sentAt: null,
    });
  });

  it('records a send, clears the last error, and is never due again', async () => {
    const job = await dueFor('email');
    await store.markDeliveryRetry(job.id, '421 busy', at(1_000));
    await store.markDeliverySent(job.id, at(1_500));

    expect((await store.dueDeliveries(LATER, 100)).map((j) => j.channel)).toEqual(['sms']);
    const email = only(only(await store.listCodes(10)).deliveries.filter((d) => d.channel === 'email'));
    expect(email).toEqual({
      channel: 'email',
      to: 'ops@example.com',
      status: 'sent',
      attempts: 2,
      error: null,
      sentAt: at(1_500).toISOString(),
    });
  });
});

describe('listCodes', () => {
  it('lists codes newest first with the call they came from', async () => {
    await store.captureCode(captured('111111', CALL, T0), RECIPIENTS, T0);
    await store.captureCode(captured('222222', OTHER_CALL, at(60_000)), RECIPIENTS, at(60_000));

    const codes = await store.listCodes(10);
    expect(codes.map((c) => [c.code, c.callSid, c.receivedAt])).toEqual([
      ['222222', OTHER_CALL.callSid, at(60_000).toISOString()],
      ['111111', CALL.callSid, T0.toISOString()],
    ]);
    expect(codes[0]).toMatchObject({ source: 'speech', from: OTHER_CALL.from, to: OTHER_CALL.to });
    expect(codes[0]?.deliveries.map((d) => [d.channel, d.to, d.status, d.attempts, d.error])).toEqual([
      ['email', 'ops@example.com', 'pending', 0, null],
      ['sms', '+14155550199', 'pending', 0, null],
    ]);
  });

  it('returns at most `limit` codes', async () => {
    await store.captureCode(captured('111111', CALL, T0), RECIPIENTS, T0);
    await store.captureCode(captured('222222', OTHER_CALL, at(60_000)), RECIPIENTS, at(60_000));
    expect((await store.listCodes(1)).map((c) => c.code)).toEqual(['222222']);
  });
});

describe('missed-call notices', () => {
  beforeEach(async () => {
    await store.recordCall(CALL, T0);
  });

  it('schedules one notice per recipient for a call without a code', async () => {
    expect(await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0)).toBe(true);

    expect(await store.dueDeliveries(at(59_999), 100)).toEqual([]);
    const jobs = await store.dueDeliveries(at(60_000), 100);
    expect(jobs.map((j) => [j.kind, j.channel, j.recipient])).toEqual([
      ['missed-call', 'email', 'ops@example.com'],
      ['missed-call', 'sms', '+14155550199'],
    ]);
    expect(jobs[0]?.code).toBeUndefined();
  });

  it('schedules nothing when the call already has a code', async () => {
    await store.captureCode(captured('482917'), RECIPIENTS, T0);
    expect(await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, T0, T0)).toBe(false);
    expect((await store.dueDeliveries(LATER, 100)).map((j) => j.kind)).toEqual(['code', 'code']);
  });

  it('schedules the notice only once per call', async () => {
    await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
    expect(await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(1_000), at(1_000))).toBe(false);
    expect(await store.dueDeliveries(LATER, 100)).toHaveLength(2);
    expect(await store.nextDueAt()).toEqual(at(60_000));
  });

  it('cancels a pending notice when a code arrives later (from the transcript)', async () => {
    await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
    await store.captureCode({ ...captured('482917', CALL, at(30_000)), source: 'transcription' }, RECIPIENTS, at(30_000));
    expect((await store.dueDeliveries(LATER, 100)).map((j) => j.kind)).toEqual(['code', 'code']);
  });

  it('makes a scheduled notice due at once when released', async () => {
    await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
    await store.releaseMissedCallNotice(CALL.callSid, at(5_000));
    expect(await store.dueDeliveries(at(5_000), 100)).toHaveLength(2);
  });

  it('never postpones a notice when released at a later time', async () => {
    await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
    await store.releaseMissedCallNotice(CALL.callSid, at(120_000));
    expect(await store.dueDeliveries(at(60_000), 100)).toHaveLength(2);
  });

  it('keeps the first recording link unless told to replace it', async () => {
    await store.recordCall(CALL, T0);
    await store.setRecordingUrl(CALL.callSid, 'https://example.test/RE-fallback', { replace: false });
    await store.setRecordingUrl(CALL.callSid, 'https://example.test/RE-other', { replace: false });
    await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, T0, T0);
    expect((await dueFor('email')).call.recordingUrl).toBe('https://example.test/RE-fallback');
    await store.setRecordingUrl(CALL.callSid, 'https://example.test/RE-whole-call', { replace: true });
    expect((await dueFor('email')).call.recordingUrl).toBe('https://example.test/RE-whole-call');
  });

  it('remembers that a call went on to the fallback recording', async () => {
    await store.recordCall(CALL, T0);
    expect(await store.callState(CALL.callSid)).toEqual({ hasCode: false, fallback: false });
    await store.markFallback(CALL.callSid, T0);
    expect(await store.callState(CALL.callSid)).toEqual({ hasCode: false, fallback: true });
  });

  it('carries what was heard and the recording to the notice', async () => {
    await store.addHeard(CALL.callSid, 'your code is four eight');
    await store.addHeard(CALL.callSid, 'two "nine" [one]');
    await store.setRecordingUrl(CALL.callSid, 'https://api.twilio.com/recordings/RE1', { replace: false });
    await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, T0, T0);

    expect((await dueFor('email')).call).toEqual({
      ...CALL,
      recordingUrl: 'https://api.twilio.com/recordings/RE1',
      heard: ['your code is four eight', 'two "nine" [one]'],
    });
  });
});

describe('recordCall', () => {
  it('keeps the first record of a call when it is seen again', async () => {
    await store.recordCall(CALL, T0);
    await store.recordCall({ ...CALL, from: '+16505550111' }, at(1_000));
    await store.captureCode(captured('482917', { ...CALL, from: '+16505550122' }, at(2_000)), RECIPIENTS, at(2_000));
    expect(only(await store.listCodes(10)).from).toBe(CALL.from);
  });
});

describe('nextDueAt', () => {
  it('is null when nothing is pending', async () => {
    expect(await store.nextDueAt()).toBeNull();
  });

  it('is the earliest pending attempt, ignoring sent and failed deliveries', async () => {
    await store.captureCode(captured('482917'), RECIPIENTS, at(1_000));
    const [first, second] = await store.dueDeliveries(LATER, 100);
    if (!first || !second) throw new Error('expected two deliveries');
    await store.markDeliverySent(first.id, at(1_100));
    await store.markDeliveryRetry(second.id, 'busy', at(9_000));
    expect(await store.nextDueAt()).toEqual(at(9_000));

    await store.markDeliveryFailed(second.id, 'refused');
    expect(await store.nextDueAt()).toBeNull();
  });
});

describe('a restart', () => {
  it('finds the codes, deliveries and attempts stored before the store was closed', async () => {
    await store.captureCode(captured('482917'), RECIPIENTS, T0);
    const email = await dueFor('email');
    await store.markDeliveryRetry(email.id, '451 try later', at(30_000));
    const before = await store.listCodes(10);
    await closeStore();

    openStore();
    expect(await store.listCodes(10)).toEqual(before);
    // Ordered by next attempt: the SMS is due now, the email after its retry delay.
    expect((await store.dueDeliveries(LATER, 100)).map((j) => [j.channel, j.attempts, j.code?.code])).toEqual([
      ['sms', 0, '482917'],
      ['email', 1, '482917'],
    ]);
    expect((await dueFor('email')).id).toBe(email.id);
    expect(await store.nextDueAt()).toEqual(T0);
  });

  it('keeps a scheduled missed-call notice and what was heard', async () => {
    await store.recordCall(CALL, T0);
    await store.addHeard(CALL.callSid, 'four eight two');
    await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
    await closeStore();

    openStore();
    expect(await store.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0)).toBe(false);
    expect(await dueFor('sms')).toMatchObject({ kind: 'missed-call', call: { heard: ['four eight two'] } });
  });
});

describe('ping', () => {
  it('answers while open and rejects once closed', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await closeStore();
    await expect(store.ping()).rejects.toThrow();
  });
});
