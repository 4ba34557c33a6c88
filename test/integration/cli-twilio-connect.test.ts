import { runCommand } from '../helpers/cli';
import { startWorld, type World } from '../helpers/cli-world';

const APP_SID = `AP${'2'.repeat(32)}`;

describe('wa-onboard twilio connect', () => {
  let world: World;
  afterEach(() => world.close());

  const theNumber = () => world.twilioApi.numbers[0];
  const updates = () => world.twilioApi.requests.filter((r) => r.method === 'POST');

  it('with --dry-run shows the change before and after, and changes nothing', async () => {
    world = await startWorld({ number: { voiceUrl: 'https://twimlets.com/voicemail?Email=team@example.com', voiceMethod: 'GET' } });
    const run = await runCommand(['twilio', 'connect', '--dry-run'], world.env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('before: GET https://twimlets.com/voicemail?Email=team@example.com');
    expect(run.stdout).toContain(`after:  POST ${world.publicUrl}/twilio/voice (dry run: nothing changed)`);
    expect(updates()).toEqual([]);
    expect(theNumber()?.voiceUrl).toBe('https://twimlets.com/voicemail?Email=team@example.com');
  });

  it("points the number's voice URL at the service, with POST, and shows the new setting", async () => {
    world = await startWorld({ number: { voiceUrl: 'https://old.example.com/voice', voiceMethod: 'GET' } });
    const run = await runCommand(['twilio', 'connect', '--json'], world.env);
    const result = run.json<{ ok: boolean; changed: boolean; after: { voiceUrl: string; voiceMethod: string } }>();

    expect(run.code).toBe(0);
    expect(result).toMatchObject({ ok: true, changed: true, after: { voiceUrl: `${world.publicUrl}/twilio/voice`, voiceMethod: 'POST' } });
    expect(theNumber()).toMatchObject({ voiceUrl: `${world.publicUrl}/twilio/voice`, voiceMethod: 'POST' });
    expect(updates().map((r) => r.form)).toEqual([{ VoiceUrl: `${world.publicUrl}/twilio/voice`, VoiceMethod: 'POST' }]);
  });

  it('changes nothing when the number already points at the service', async () => {
    world = await startWorld();
    const run = await runCommand(['twilio', 'connect'], world.env);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ Already connected: POST http:\/\/127\.0\.0\.1:\d+\/twilio\/voice/);
    expect(updates()).toEqual([]);
  });

  it('refuses to override a voice application without --force, and changes nothing', async () => {
    world = await startWorld({ number: { voiceApplicationSid: APP_SID, voiceUrl: '' } });
    const run = await runCommand(['twilio', 'connect'], world.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`✗ Voice application ${APP_SID} answers this number's calls`);
    expect(run.stdout).toContain('--force');
    expect(updates()).toEqual([]);
    expect(theNumber()?.voiceApplicationSid).toBe(APP_SID);
  });

  it('with --force clears the voice application and sets the URL', async () => {
    world = await startWorld({ number: { voiceApplicationSid: APP_SID, voiceUrl: '' } });
    const run = await runCommand(['twilio', 'connect', '--force'], world.env);

    expect(run.code).toBe(0);
    expect(theNumber()).toMatchObject({ voiceApplicationSid: '', voiceUrl: `${world.publicUrl}/twilio/voice`, voiceMethod: 'POST' });
  });

  it('says so when the number is not on the account', async () => {
    world = await startWorld({ number: null });
    const run = await runCommand(['twilio', 'connect'], world.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('+15005550006 is not on account');
  });

  it("explains Twilio's refusal of the credentials", async () => {
    world = await startWorld();
    const run = await runCommand(['twilio', 'connect'], { ...world.env, TWILIO_AUTH_TOKEN: 'e'.repeat(32) });

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ Twilio answered 401 \(code 20003\)/);
    expect(run.stdout).toContain('fix: Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.');
  });
});
