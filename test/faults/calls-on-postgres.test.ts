import { callParams } from '../helpers/harness';
import { FaultWorld, TEAM_EMAIL, TEAM_PHONE, until } from './helpers/fault-world';
import { report } from './helpers/report';

/**
 * Meta's call and its code when the shared database is not there, and when an instance dies with
 * deliveries in hand. Real processes on a PostgreSQL cluster of the world's own.
 */

let world: FaultWorld;
afterEach(async () => {
  await world?.close();
});

const CODES = 12;

describe('calls on a shared PostgreSQL', () => {
  it('keeps a call going while the database is down, delivers its code from the spool, and stores it once it is back', async () => {
    world = await FaultWorld.start({}, { postgres: true, instances: 2 });
    const [a, b] = await Promise.all([0, 1].map((n) => world.startInstance(n)));
    const cluster = world.cluster;
    if (!a || !b || !cluster) throw new Error('two instances and a cluster');
    await cluster.stop();
    const sid = 'CA' + '8'.repeat(32);
    const answer = await world.twilioPostTo(a.url, '/twilio/voice', callParams(sid));
    const heard = await world.twilioPostTo(b.url, '/twilio/gather?listen=1', callParams(sid, { SpeechResult: 'seven one three five two nine' }));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('<Gather');
    expect(heard.status).toBe(200);
    expect(await heard.text()).toContain('<Hangup/>');
    const [email] = (await world.smtp?.waitFor(1, 30_000)) ?? [];
    expect(email?.subject).toContain('713529');
    await world.twilioApi?.waitForMessages(1, 30_000);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(503);

    await cluster.start();
    await until('the spooled code in the database', async () => (await world.books.codes()).length === 1, 60_000);
    await until('its deliveries recorded as sent', async () => (await world.books.deliveries()).filter((d) => d.kind === 'code' && d.status === 'sent').length === 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a second send would be in by now
    expect(world.smtp?.received).toHaveLength(1);
    expect(world.twilioApi?.messages).toHaveLength(1);
    report('the database down during a call (two instances; the call answered on one, the code heard on the other)', {
      'Twilio requests answered with TwiML while it was down': [answer, heard].filter((r) => r.status === 200).length,
      'code delivered from the spool (email + SMS)': (world.smtp?.received.length ?? 0) + (world.twilioApi?.messages.length ?? 0),
      'codes in the database once it was back': (await world.books.codes()).length,
      'deliveries recorded as sent': (await world.books.deliveries()).filter((d) => d.status === 'sent').length,
      lost: 1 - (await world.books.codes()).length,
    });
  });

  it('sends each code to each recipient, repeating only what a killed instance sent and never recorded', async () => {
    // Twelve calls in a minute: past the default hourly budget (10), which would hold two of them back.
    world = await FaultWorld.start({ CALL_FORWARD_LIMIT: '100' }, { postgres: true, instances: 2 });
    const [a, b] = await Promise.all([0, 1].map((n) => world.startInstance(n)));
    if (!a || !b) throw new Error('two instances');
    // Twilio takes each SMS at once but answers only after 3 s: an instance killed meanwhile never
    // learns that its SMS went out. SMTP answers at once.
    world.twilioApi?.answerAfter(3_000);
    const codes = Array.from({ length: CODES }, (_, n) => String(100000 + n * 7919).slice(0, 6));
    for (const [n, code] of codes.entries()) {
      const sid = `CA${String(n).padStart(32, '0')}`;
      const instance = n % 2 === 0 ? a : b;
      await world.twilioPostTo(instance.url, '/twilio/voice', callParams(sid));
      await world.twilioPostTo(instance.url, '/twilio/gather?listen=1', callParams(sid, { Digits: code }));
    }
    await until('every SMS taken by Twilio once', () => (world.twilioApi?.messages.length ?? 0) >= CODES, 30_000);
    const heldByVictim = (await world.books.claimedDeliveries()).filter((d) => d.status === 'pending' && d.claimed_by?.includes(`/${a.pid}/`)).length;
    a.kill('SIGKILL');
    await a.exited;

    // The live instance takes over once the dead one's claims run out (30 s).
    await until('every delivery recorded as sent', async () => (await world.books.deliveries()).every((d) => d.kind !== 'code' || d.status === 'sent'), 120_000);
    const smsPerCode = codes.map((code) => world.twilioApi?.messages.filter((m) => m.body.endsWith(code)).length ?? 0);
    const emailsPerCode = codes.map((code) => world.smtp?.received.filter((m) => m.subject.endsWith(code)).length ?? 0);
    expect(smsPerCode.every((n) => n >= 1)).toBe(true);
    expect(emailsPerCode.every((n) => n >= 1)).toBe(true);
    expect(world.twilioApi?.messages.every((m) => m.to === TEAM_PHONE)).toBe(true);
    expect(world.smtp?.received.every((m) => m.to.join() === TEAM_EMAIL)).toBe(true);
    const smsRepeats = smsPerCode.reduce((sum, n) => sum + n - 1, 0);
    const emailRepeats = emailsPerCode.reduce((sum, n) => sum + n - 1, 0);
    // Only what the killed instance had in hand can go twice; the live one repeats nothing.
    expect(smsRepeats + emailRepeats).toBeLessThanOrEqual(heldByVictim);

    report(`repeats when an instance dies with SMS in flight (${CODES} codes on two instances, Twilio answering after 3 s, one SIGKILLed)`, {
      'codes captured': CODES,
      'deliveries in the killed instance\'s hands at the kill (sent, not recorded)': heldByVictim,
      'SMS received': world.twilioApi?.messages.length ?? 0,
      'SMS repeated (sent again after the takeover)': smsRepeats,
      'emails received': world.smtp?.received.length ?? 0,
      'emails repeated': emailRepeats,
      'codes not delivered': smsPerCode.filter((n) => n === 0).length + emailsPerCode.filter((n) => n === 0).length,
    });
  });
});
