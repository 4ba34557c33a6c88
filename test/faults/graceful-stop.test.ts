import http from 'node:http';
import net from 'node:net';
import { signPayload } from '../../src/whatsapp/sign';
import { META, callParams } from '../helpers/harness';
import { messageId, textBatch } from '../helpers/meta-payloads';
import { FaultWorld, until } from './helpers/fault-world';
import { report } from './helpers/report';
import { postWebhooks, redeliver } from './helpers/webhook-load';

/**
 * A deploy: SIGTERM while Meta's traffic goes on. Requests in flight are answered (and what they
 * carried is stored), new connections are refused, the process exits 0, and work still owed (events
 * to forward, a code's email) is on disk for the next start, which does it.
 */

let world: FaultWorld;

afterEach(async () => {
  await world?.close();
});

/** Starts a signed POST and sends only half its body: a request caught in flight by the stop. */
function halfSentPost(url: string, body: Buffer): { finish: () => void; status: Promise<number> } {
  const req = http.request(`${url}/webhooks/whatsapp`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-hub-signature-256': signPayload(META.appSecret, body) },
  });
  const status = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
  const half = Math.floor(body.length / 2);
  req.write(body.subarray(0, half));
  return { finish: () => req.end(body.subarray(half)), status };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('a graceful stop (SIGTERM) during traffic', () => {
  it('finishes what is in flight, takes nothing new, and leaves owed work for the next start', async () => {
    world = await FaultWorld.start();
    // Work that cannot finish before the stop: forwards (receiver gone) and a code's email (SMTP gone).
    await Promise.all([world.stopReceiver(), world.stopSmtp()]);
    const service = await world.startService();
    await world.twilioPost('/twilio/voice', callParams('CAdeploy'));
    await world.twilioPost('/twilio/gather?listen=1', callParams('CAdeploy', { SpeechResult: 'Your code is 7 1 7 2 0 9' }));

    const inFlight = halfSentPost(service.url, textBatch(1, { first: 900_000 }));
    const stopLoad = new AbortController();
    const load = postWebhooks({
      url: service.url,
      connections: 50,
      signal: stopLoad.signal,
      onAcknowledged: (count) => {
        if (count === 2_000) service.kill('SIGTERM');
      },
    });
    let refusedNewConnection: boolean;
    try {
      await until('the stop to begin', () => service.logged('stopping: finishing in-flight work').length > 0);
      refusedNewConnection = await connectionRefused(world.ports.service);
      inFlight.finish();
      await service.exited;
    } finally {
      stopLoad.abort(); // fifty workers retrying a dead port would keep jest from exiting
    }
    const exit = await service.exited;
    const tally = await load;
    expect(refusedNewConnection).toBe(true);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(await inFlight.status).toBe(200);
    const errorStatuses = [...tally.otherStatuses.keys()].filter((status) => status >= 500);
    expect(errorStatuses).toEqual([]);
    const inbox = await world.books.inboxMessageIds();
    expect([...tally.acknowledged, messageId(900_000)].filter((id) => !inbox.has(id))).toEqual([]);
    const owedAtStop = (await world.books.forwardStates()).pending ?? 0;
    const inboxAtStop = await world.books.inboxStates();
    expect((await world.books.deliveries()).find((d) => d.kind === 'code' && d.channel === 'email')?.status).toBe('pending');

    const receiver = await world.startReceiver();
    const smtp = await world.startSmtp();
    await world.startService();
    await redeliver(world.url, tally.unacknowledged);
    const everyEvent = new Set([...tally.acknowledged, ...tally.unacknowledged, messageId(900_000)]);
    await until('every event forwarded', () => new Set(receiver.events.map((e) => e.idempotencyKey)).size >= everyEvent.size, 120_000);
    await smtp.waitFor(1, 60_000);
    expect(smtp.received[0]?.text).toContain('717209');

    report('graceful stop (SIGTERM during 50 connections of traffic)', {
      'POSTs answered 200 before the exit': tally.acknowledged.size,
      'POSTs without an answer (refused or cut at the stop)': tally.unacknowledged.size,
      '5xx answers': errorStatuses.length,
      'half-sent POST, finished after the stop began': `answered ${await inFlight.status}`,
      exit: `code ${exit.code}`,
      'inbox at the stop (pending / dispatched)': `${inboxAtStop.pending ?? 0} / ${inboxAtStop.dispatched ?? 0}`,
      'forwards owed at the stop': owedAtStop,
      'events forwarded after the next start': new Set(receiver.events.map((e) => e.idempotencyKey)).size,
      'code emails sent after the next start': smtp.received.length,
      lost: [...everyEvent].filter((id) => !receiver.events.some((e) => e.idempotencyKey === `message:${id}`)).length,
    });
  });
});
