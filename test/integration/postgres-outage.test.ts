import pg from 'pg';
import { startEventReceiver, type EventReceiver } from '../../src/embedded/event-receiver';
import { callParams, startHarness, type Harness } from '../helpers/harness';
import { textBatch } from '../helpers/meta-payloads';
import { postgresBinDir, startPostgresCluster, type PostgresCluster } from '../helpers/postgres/cluster';

/**
 * PostgreSQL goes away under a running service and comes back: the service never answers Meta 200
 * for what it could not store, answers at once rather than hang, keeps Meta's call going and its
 * code safe, and recovers by itself. A cluster of its own, since it is stopped.
 */

const run = postgresBinDir() ? describe : describe.skip;
const FORWARD_SECRET = 'forward-secret-for-the-outage-test';

let cluster: PostgresCluster;
let receiver: EventReceiver;
let h: Harness;

beforeAll(async () => {
  if (!postgresBinDir()) return;
  cluster = await startPostgresCluster();
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query('CREATE DATABASE outage');
  await admin.end();
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
});
beforeEach(async () => {
  receiver = await startEventReceiver();
  h = await startHarness({ env: { DATABASE_URL: cluster.urlOf('outage'), FORWARD_URL: receiver.url, FORWARD_SECRET } });
});
afterEach(async () => {
  await cluster.start().catch(() => undefined); // a test that failed while it was down
  await h.close();
  await receiver.close();
});

run('PostgreSQL down under a running service', () => {
  it('answers Meta 503 at once while it is down, then 200 again without a restart', async () => {
    expect((await h.metaPost(textBatch(1, { first: 1 }))).status).toBe(200);
    await cluster.stop();
    const started = Date.now();
    const refused = await h.metaPost(textBatch(1, { first: 2 }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    // "At once": far inside Meta's patience, bounded by the pool's 5 s connect timeout.
    expect(Date.now() - started).toBeLessThan(6_000);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);

    await cluster.start();
    expect((await h.metaPost(textBatch(1, { first: 2 }))).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    const got = await receiver.waitForEvents(2);
    expect(got.map((e) => e.idempotencyKey).sort()).toEqual(['message:wamid.TEST00000001', 'message:wamid.TEST00000002']);
  });

  it('keeps a call going while it is down, delivers the code from the spool, and stores it once it is back', async () => {
    await cluster.stop();
    const sid = 'CA' + '7'.repeat(32);
    const answer = await h.twilioPost('/twilio/voice', callParams(sid));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('<Gather');
    const gathered = await h.twilioPost('/twilio/gather?listen=1', callParams(sid, { SpeechResult: 'six five four three two one' }));
    expect(await gathered.text()).toContain('<Hangup/>');
    const [email] = await h.smtp.waitFor(1);
    expect(email?.subject).toContain('654321');
    await h.twilioApi.waitForMessages(1);

    await cluster.start();
    const codes = await waitForCodes(h);
    expect(codes[0]).toMatchObject({ code: '654321', callSid: sid, source: 'speech' });
    expect(codes[0]?.deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['email', 'sent'],
      ['sms', 'sent'],
    ]);
    await h.service.worker.idle();
    expect(h.smtp.received).toHaveLength(1);
    expect(h.twilioApi.messages).toHaveLength(1);
  });
});

/** The codes the service lists, once its spool has moved them into the database. */
async function waitForCodes(harness: Harness): Promise<Awaited<ReturnType<Harness['codes']>>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${harness.url}/api/codes`, { headers: { authorization: `Bearer ${harness.env.ADMIN_TOKEN}` } });
    if (res.ok) {
      const { codes } = (await res.json()) as { codes: Awaited<ReturnType<Harness['codes']>> };
      if (codes.length > 0) return codes;
    }
    if (Date.now() > deadline) throw new Error('the spooled code never reached the database');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
