import { digitsOf } from './phone-number';
import { readPhoneNumber } from './phone-numbers';
import { needsCode } from './phone-state';
import { phoneNumberIdOf } from './number-steps';
import { REHEARSAL_CALLER, StepError, type OnboardingDeps, type OnboardingState, type OnboardingStep, type SeenCode } from './onboarding';

/** On a resumed wait, a code heard this recently still belongs to the last request. */
const RESUME_WINDOW_MS = 15 * 60_000;
/** Older than this, a code the service holds is not sent to Meta without --code. */
const STALE_CODE_MS = 30 * 60_000;

/**
 * The steps that get the code: ask Meta to call, wait for the service to hear it, send it back.
 * Nothing here runs for a number that is registered or verified, so a second run spends no call.
 */
export function codeSteps(deps: OnboardingDeps): Record<'requestCode' | 'waitForCode' | 'verifyCode', OnboardingStep> {
  const { graph, settings, codes } = deps;
  const codeNeeded = async (state: OnboardingState) => {
    state.phone = await readPhoneNumber(graph, await phoneNumberIdOf(deps, state));
    return needsCode(state.phone);
  };
  const alreadyDone = { status: 'skipped', detail: 'Meta lists the number as verified or registered: no code needed' } as const;
  // Codes heard on calls to our number, leaving out `simulate call`'s rehearsals (marked, or from its caller).
  const ours = async () =>
    (await codes.known()).filter((c) => digitsOf(c.to) === digitsOf(settings.phoneNumber) && !c.rehearsal && c.from !== REHEARSAL_CALLER);

  return {
    requestCode: {
      name: 'request-code',
      title: 'Ask Meta to call the number with a code',
      async run(state) {
        if (!(await codeNeeded(state))) return alreadyDone;
        if (settings.code) return { status: 'skipped', detail: 'a code was given with --code: no call needed' };
        // Before spending one of the few calls Meta allows: it must reach the service, and the service must answer us.
        const problems = await deps.voiceRouteProblems();
        if (problems.length > 0) {
          throw new StepError(`Meta's call would not reach the service: ${problems.join('; ')}`, 'Run `wa-onboard twilio connect`, then this again.');
        }
        state.codesBefore = await codes.known();
        await graph.post(`/${await phoneNumberIdOf(deps, state)}/request_code`, { code_method: 'VOICE', language: settings.language });
        return { status: 'done', detail: `Meta is calling ${settings.phoneNumber} (voice, ${settings.language})` };
      },
    },

    waitForCode: {
      name: 'wait-for-code',
      title: "Wait for the service to hear the code in Meta's call",
      async run(state) {
        if (settings.code) {
          state.code = settings.code;
          return { status: 'skipped', detail: 'using the code given with --code' };
        }
        if (!(await codeNeeded(state))) return alreadyDone;
        const isNew = newCodeTest(state, deps.now());
        const minutes = Math.round(settings.codeTimeoutMs / 60_000);
        const heard = await deps.wait(`waiting for Meta's call to ${settings.phoneNumber}`, settings.codeTimeoutMs, async () => (await ours()).find(isNew));
        if (!heard) {
          throw new StepError(
            `the service heard no code within ${minutes} minute(s)`,
            "Run `wa-onboard doctor` and read the call in Twilio's call log. A transcript can take minutes: `wa-onboard meta verify --from wait-for-code` keeps waiting (codes from the last 15 minutes count); with a code from elsewhere, `--from verify-code --code NNNNNN`.",
          );
        }
        state.code = heard.code;
        return { status: 'done', detail: `heard a ${heard.code.length}-digit code by ${heard.source} (call ${heard.callSid})` };
      },
    },

    verifyCode: {
      name: 'verify-code',
      title: 'Send the code to Meta',
      async run(state) {
        if (!(await codeNeeded(state))) return alreadyDone;
        const { code, from } = settings.code
          ? { code: settings.code, from: 'given with --code' }
          : state.code
            ? { code: state.code, from: 'heard in the call' }
            : newestFresh(await ours(), deps.now());
        await graph.post(`/${await phoneNumberIdOf(deps, state)}/verify_code`, { code });
        return { status: 'done', detail: `Meta accepted the code ${from}` };
      },
    },
  };
}

/**
 * Which codes answer this run's request: those the service did not hold when the code was asked
 * for; or, when resuming the wait, those heard in the last minutes (the call may have come after
 * the previous run gave up).
 */
function newCodeTest(state: OnboardingState, now: Date): (code: SeenCode) => boolean {
  if (state.codesBefore) {
    const seen = new Set(state.codesBefore.map((c) => `${c.callSid}|${c.receivedAt}|${c.code}`));
    return (c) => !seen.has(`${c.callSid}|${c.receivedAt}|${c.code}`);
  }
  return (c) => now.getTime() - Date.parse(c.receivedAt) <= RESUME_WINDOW_MS;
}

/** For `--from verify-code` without `--code`: the newest code heard, if it is recent enough to be the last one Meta sent. */
function newestFresh(codes: SeenCode[], now: Date): { code: string; from: string } {
  const newest = codes[0];
  if (!newest) {
    throw new StepError('no code to send: none was given and the service has heard none for this number', 'Run `wa-onboard meta verify --from request-code` for a new call, or pass --code NNNNNN.');
  }
  const ageMs = now.getTime() - Date.parse(newest.receivedAt);
  if (ageMs > STALE_CODE_MS) {
    throw new StepError(
      `the newest code the service heard is ${Math.round(ageMs / 60_000)} minutes old, likely not the one Meta expects`,
      'Run `wa-onboard meta verify --from request-code` for a new call, or pass --code NNNNNN.',
    );
  }
  return { code: newest.code, from: `heard at ${newest.receivedAt}, the newest the service holds` };
}
