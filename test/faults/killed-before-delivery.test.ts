import { callParams } from '../helpers/harness';
import { startBlackHole, type BlackHole } from './helpers/black-hole';
import { FaultWorld, TEAM_EMAIL, TEAM_PHONE, until } from './helpers/fault-world';
import { report } from './helpers/report';

/**
 * A code can be asked of Meta only a few times: once Twilio has been answered, the code is the
 * service's to deliver. Here the process dies while both deliveries are in flight (SMTP and
 * Twilio's API hang, as a slow provider would), and the restart must send each exactly once.
 */

let world: FaultWorld;
let holes: BlackHole[] = [];

afterEach(async () => {
  await Promise.all(holes.map((hole) => hole.close()));
  holes = [];
  await world?.close();
});

const codeDeliveries = async () => (await world.books.deliveries()).filter((d) => d.kind === 'code');

describe('killed between capture and delivery', () => {
  it('sends the email and the SMS once each after the restart', async () => {
    world = await FaultWorld.start();
    await Promise.all([world.stopSmtp(), world.stopTwilioApi()]);
    const smtpHole = await startBlackHole(world.ports.smtp);
    const twilioHole = await startBlackHole(world.ports.twilio);
    holes = [smtpHole, twilioHole];
    const first = await world.startService();

    expect((await world.twilioPost('/twilio/voice', callParams('CAkilled'))).status).toBe(200);
    const answer = await world.twilioPost('/twilio/gather?listen=1', callParams('CAkilled', { SpeechResult: 'Your code is 4 8 2 9 1 7' }));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('<Hangup/>');
    // Both deliveries are on the wire, and neither has an answer.
    await until('both deliveries in flight', () => smtpHole.connections > 0 && twilioHole.connections > 0);
    first.kill('SIGKILL');
    await first.exited;

    expect(await world.books.codes()).toEqual(['482917']);
    const beforeRestart = await codeDeliveries();
    expect(beforeRestart.map((d) => [d.channel, d.status])).toEqual([
      ['email', 'pending'],
      ['sms', 'pending'],
    ]);

    await Promise.all([smtpHole.close(), twilioHole.close()]);
    const [smtp, twilioApi] = await Promise.all([world.startSmtp(), world.startTwilioApi()]);
    await world.startService();
    await until('both deliveries recorded as sent', async () => (await codeDeliveries()).every((d) => d.status === 'sent'));
    // One attempt each after the restart: the one cut by the kill was never recorded as made.
    expect((await codeDeliveries()).map((d) => [d.channel, d.attempts])).toEqual([
      ['email', 1],
      ['sms', 1],
    ]);

    expect(smtp.received.map((m) => m.to)).toEqual([[TEAM_EMAIL]]);
    expect(smtp.received[0]?.text).toContain('482917');
    expect(twilioApi.messages.map((m) => m.to)).toEqual([TEAM_PHONE]);
    expect(twilioApi.messages[0]?.body).toContain('482917');

    report('killed between capture and delivery (SMTP and Twilio hanging, SIGKILL, restart)', {
      'codes acknowledged to Twilio': 1,
      'codes stored': (await world.books.codes()).length,
      'deliveries pending at the kill': beforeRestart.filter((d) => d.status === 'pending').length,
      'emails received': smtp.received.length,
      'SMS received': twilioApi.messages.length,
      lost: 2 - smtp.received.length - twilioApi.messages.length,
    });
  });
});
