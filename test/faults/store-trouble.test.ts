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
 * database's write lock. A request that cannot be stored is refused with 503 (Meta delivers it
 * again; a call whose code could not be stored has failed, and Meta is asked for a new one), never
 * answered 200; the process stays up, and takes requests again as soon as the store does.
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
  it('refuses with 503 while the disk takes no writes, stores nothing, and recovers when it does', async () => {
    world = await FaultWorld.start();
    const service = await world.startService();
    expect((await postEvent(1)).status).toBe(200);

    limitFileSize(service.pid, 4096);
    const refusedEvents = await Promise.all([2, 3, 4, 5, 6].map(postEvent));
    const refusedCall = await world.twilioPost('/twilio/voice', callParams('CAdiskfull'));
    const refusedCode = await postCode('CAdiskfull', 'Your code is 5 5 0 1 2 8');
    const health = await fetch(`${service.url}/healthz`);

    expect(refusedEvents.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect(refusedEvents[0]?.headers.get('retry-after')).toBe('5');
    expect(refusedCall.status).toBe(503);
    expect(refusedCode.status).toBe(503);
    expect(await refusedCode.text()).toContain('<Hangup/>');
    expect(health.status).toBe(200);
    const inbox = world.books.inboxMessageIds();
    expect([2, 3, 4, 5, 6].map(messageId).filter((id) => inbox.has(id))).toEqual([]);
    expect(world.books.codes()).toEqual([]);

    limitFileSize(service.pid, 'unlimited');
    // Meta delivers the refused POSTs again; the team asks Meta for a new code, and its robot calls again.
    const redelivered = await Promise.all([2, 3, 4, 5, 6].map(postEvent));
    expect(redelivered.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await world.twilioPost('/twilio/voice', callParams('CAagain'))).status).toBe(200);
    expect((await postCode('CAagain', 'Your code is 5 5 0 1 2 8')).status).toBe(200);
    await world.smtp?.waitFor(1, 30_000);
    await world.twilioApi?.waitForMessages(1, 30_000);
    await until('every event forwarded', () => forwardedKeys().size >= 6, 60_000);
    expect([...forwardedKeys()].sort()).toEqual([1, 2, 3, 4, 5, 6].map((n) => `message:${messageId(n)}`));
    expect(world.books.storedMessageIds().size).toBe(6);

    report('store unwritable (file size limit: every write fails, as on a full disk)', {
      'Meta POSTs refused with 503 meanwhile': refusedEvents.filter((r) => r.status === 503).length,
      'Twilio requests refused with 503 meanwhile': [refusedCall, refusedCode].filter((r) => r.status === 503).length,
      'answered 200 meanwhile': [...refusedEvents, refusedCall, refusedCode].filter((r) => r.status === 200).length,
      'events stored after the redelivery': world.books.storedMessageIds().size,
      'codes stored and delivered after the new call': world.books.codes().length,
      lost: 6 - world.books.storedMessageIds().size,
    });
  });

  it('refuses with 503 while another process holds the write lock, and takes requests again once it lets go', async () => {
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
      expect(refusedCall.status).toBe(503);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      intruder.exec('ROLLBACK');
    } finally {
      intruder.close();
    }
    const inbox = world.books.inboxMessageIds();
    expect([2, 3, 4].map(messageId).filter((id) => inbox.has(id))).toEqual([]);

    const redelivered = await Promise.all([2, 3, 4].map(postEvent));
    expect(redelivered.map((r) => r.status)).toEqual([200, 200, 200]);
    await until('every event forwarded', () => forwardedKeys().size >= 4, 60_000);
    expect([...forwardedKeys()].sort()).toEqual([1, 2, 3, 4].map((n) => `message:${messageId(n)}`));
    expect(world.books.storedMessageIds().size).toBe(4);
    report('store locked by another process (BEGIN EXCLUSIVE)', {
      'Meta POSTs refused with 503 meanwhile': refused.filter((r) => r.status === 503).length,
      'Twilio requests refused with 503 meanwhile': refusedCall?.status === 503 ? 1 : 0,
      'answered 200 meanwhile': [...refused, refusedCall].filter((r) => r?.status === 200).length,
      'events stored after the redelivery': world.books.storedMessageIds().size,
      lost: 4 - world.books.storedMessageIds().size,
    });
  });
});
