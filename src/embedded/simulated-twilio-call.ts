import twilio from 'twilio';

/** One request Twilio made during the simulated call, and what the service answered. */
export interface CallStep {
  path: string;
  params: Record<string, string>;
  status: number;
  twiml: string;
}

export interface SimulatedCallOptions {
  /** Where the service listens, e.g. `http://127.0.0.1:3000`. */
  serviceUrl: string;
  /** The service's PUBLIC_URL: what Twilio would have called, and so what it signs. */
  publicUrl: string;
  authToken: string;
  accountSid: string;
  from: string;
  to: string;
  /** What Meta's robot says, as Twilio's speech recognition would hand it over. */
  speech?: string;
  /** Digits keyed in instead of speech. */
  digits?: string;
  callSid?: string;
  /**
   * Mark every request as a rehearsal (`wa-onboard simulate call`), inside the signature: the
   * service records the call as one, and its email and SMS say so. Off when playing Meta's call.
   */
  rehearsal?: boolean;
  onStep?: (step: CallStep) => void;
}

/**
 * Plays Twilio's part of a verification call against a running service: the signed POST to
 * `/twilio/voice`, then the Gather's action with what was heard, following the TwiML it gets
 * back, until the service hangs up or stops gathering.
 */
export async function simulateTwilioCall(options: SimulatedCallOptions): Promise<CallStep[]> {
  const callSid = options.callSid ?? `CA${randomHex(32)}`;
  const base = {
    CallSid: callSid,
    AccountSid: options.accountSid,
    From: options.from,
    To: options.to,
    CallStatus: 'in-progress',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
    ...(options.rehearsal ? { WaOnboardRehearsal: 'simulate-call' } : {}),
  };
  const steps: CallStep[] = [];
  let step = await signedPost(options, `${options.publicUrl}/twilio/voice`, { ...base, CallStatus: 'ringing' });
  steps.push(step);
  options.onStep?.(step);
  // Follow Gather actions: Twilio posts what it heard to the action of the Gather it ran.
  for (let hop = 0; hop < 10; hop++) {
    const action = attribute(step.twiml, 'Gather', 'action');
    if (!action || step.status !== 200) break;
    const heard: Record<string, string> = options.digits
      ? { Digits: options.digits }
      : { SpeechResult: options.speech ?? '', Confidence: '0.92' };
    step = await signedPost(options, action, { ...base, ...heard });
    steps.push(step);
    options.onStep?.(step);
    if (/<Hangup\/>/.test(step.twiml) && !/<Gather/.test(step.twiml)) break;
  }
  return steps;
}

async function signedPost(options: SimulatedCallOptions, url: string, params: Record<string, string>): Promise<CallStep> {
  const signature = twilio.getExpectedTwilioSignature(options.authToken, url, params);
  const path = url.startsWith(options.publicUrl) ? url.slice(options.publicUrl.length) : new URL(url).pathname;
  const response = await fetch(options.serviceUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  return { path, params, status: response.status, twiml: await response.text() };
}

/** The value of `name` on the first `<element>` of a TwiML document, XML entities decoded. */
export function attribute(xml: string, element: string, name: string): string | undefined {
  const tag = new RegExp(`<${element}\\b[^>]*>`).exec(xml)?.[0];
  const value = tag ? new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] : undefined;
  return value
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function randomHex(length: number): string {
  return Array.from({ length }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}
