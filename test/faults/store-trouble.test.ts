import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/store/sqlite/database';
import { callParams } from '../helpers/harness';
import { messageId, textBatch } from '../helpers/meta-payloads';
import { FaultWorld, until } from './helpers/fault-world';
import { report } from './helpers/report';

/**
 * The store fails under the service: the disk refuses writes, or another process holds the
 * database's write lock. A webhook POST that cannot be stored is refused with 503 (Meta delivers it
 * again), never answered 200. Meta's call goes on: Twilio still gets TwiML to listen, and a code
 * heard meanwhile goes to the spool, is delivered from there at once, and reaches the database when
 * it takes writes again. The process stays up throughout.
 */

let world: FaultWorld;

afterEach(async () => {
  await world?.close();
});

/**
 * Lowers the process's file size limit (the soft one, so it can be raised again without privilege):
 * every write past `bytes` into any file fails, as on a full disk. Linux's prlimit(1), util-linux.
 */
function limitFileSize(pid: number, bytes: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${bytes}:unlimited`]);
}

/** The distinct events the receiver took (a forward whose "sent" could not be recorded comes again). */
const forwardedKeys = () => new Set((world.receiver?.events ?? []).map((e) => e.idempotencyKey ?? ''));

async function postEvent(n: number): Promise<Response> {
  return world.metaPost(textBatch(1, { first: n }));
}

async function postCode(callSid: string, spoken: string): Promise<Response> {
  return world.twilioPost('/twilio/gather?listen=1', callParams(callSid, { SpeechResult: spoken }));
}

describe('store trouble', () => {
  it('refuses Meta with 503 while the disk takes no writes, keeps the call going, and recovers when it does', async () => {
    world = await FaultWorld.start();
    const service = await world.startService();
    expect((await postEvent(1)).status).toBe(200);

    // The database's files cannot grow; a new small file (the spool's) still can.
    limitFileSize(service.pid, 4096);
    const refusedEvents = await Promise.all([2, 3, 4, 5, 6].map(postEvent));
    const answer = await world.twilioPost('/twilio/voice', callParams('CAdiskfull'));
    const heard = await postCode('CAdiskfull', 'Your code is 5 5 0 1 2 8');
    const health = await fetch(`${service.url}/healthz`);

    expect(refusedEvents.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect(refusedEvents[0]?.headers.get('retry-after')).toBe('5');
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('<Gather');
    expect(heard.status).toBe(200);
    expect(await heard.text()).toContain('<Hangup/>');
    expect(health.status).toBe(200);
    // The code went out from the spool while the database took no writes.
    await world.smtp?.waitFor(1, 30_000);
    await world.twilioApi?.waitForMessages(1, 30_000);
    const inbox = await world.books.inboxMessageIds();
    expect([2, 3, 4, 5, 6].map(messageId).filter((id) => inbox.has(id))).toEqual([]);
    expect(await world.books.codes()).toEqual([]);

    limitFileSize(service.pid, 'unlimited');
    // Meta delivers the refused POSTs again; the spooled code moves into the database.
    const redelivered = await Promise.all([2, 3, 4, 5, 6].map(postEvent));
    expect(redelivered.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await until('the spooled code in the database', async () => (await world.books.codes()).length === 1, 60_000);
    await until('every event forwarded', () => forwardedKeys().size >= 6, 60_000);
    expect([...forwardedKeys()].sort()).toEqual([1, 2, 3, 4, 5, 6].map((n) => `message:${messageId(n)}`));
    expect((await world.books.storedMessageIds()).size).toBe(6);
    const deliveries = (await world.books.deliveries()).filter((d) => d.kind === 'code');
    expect(deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['email', 'sent'],
      ['sms', 'sent'],
    ]);
    expect(world.smtp?.received).toHaveLength(1);
    expect(world.twilioApi?.messages).toHaveLength(1);

    report('store unwritable (file size limit: every write fails, as on a full disk)', {
      'Meta POSTs refused with 503 meanwhile': refusedEvents.filter((r) => r.status === 503).length,
      'Meta POSTs answered 200 meanwhile': refusedEvents.filter((r) => r.status === 200).length,
      'Twilio requests answered with TwiML (the call went on)': [answer, heard].filter((r) => r.status === 200).length,
      'code delivered from the spool (email + SMS)': (world.smtp?.received.length ?? 0) + (world.twilioApi?.messages.length ?? 0),
      'events stored after the redelivery': (await world.books.storedMessageIds()).size,
      'codes in the database after the disk came back': (await world.books.codes()).length,
      lost: 6 - (await world.books.storedMessageIds()).size,
    });
  });

  it('refuses Meta with 503 while another process holds the write lock, and takes requests again once it lets go', async () => {
    world = await FaultWorld.start();
    const service = await world.startService();
    expect((await postEvent(1)).status).toBe(200);

    const intruder = new Database(path.join(world.dataDir, DATABASE_FILE));
    let refused: Response[];
    let refusedCall: Response | undefined;
    try {
      intruder.exec('BEGIN EXCLUSIVE');
      refused = await Promise.all([2, 3, 4].map(postEvent));
      refusedCall = await world.twilioPost('/twilio/voice', callParams('CAlocked'));
      expect(refused.map((r) => r.status)).toEqual([503, 503, 503]);
      // The call goes on listening; it is recorded once the lock is gone (or never, as here: nothing more came).
      expect(refusedCall.status).toBe(200);
      expect(await refusedCall.text()).toContain('<Gather');
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      intruder.exec('ROLLBACK');
    } finally {
      intruder.close();
    }
    const inbox = await world.books.inboxMessageIds();
    expect([2, 3, 4].map(messageId).filter((id) => inbox.has(id))).toEqual([]);

    const redelivered = await Promise.all([2, 3, 4].map(postEvent));
    expect(redelivered.map((r) => r.status)).toEqual([200, 200, 200]);
    await until('every event forwarded', () => forwardedKeys().size >= 4, 60_000);
    expect([...forwardedKeys()].sort()).toEqual([1, 2, 3, 4].map((n) => `message:${messageId(n)}`));
    expect((await world.books.storedMessageIds()).size).toBe(4);
    report('store locked by another process (BEGIN EXCLUSIVE)', {
      'Meta POSTs refused with 503 meanwhile': refused.filter((r) => r.status === 503).length,
      'Meta POSTs answered 200 meanwhile': refused.filter((r) => r.status === 200).length,
      'Twilio requests answered with TwiML (the call went on)': refusedCall?.status === 200 ? 1 : 0,
      'events stored after the redelivery': (await world.books.storedMessageIds()).size,
      lost: 4 - (await world.books.storedMessageIds()).size,
    });
  });
});
