import type twilio from 'twilio';

type TwilioClient = ReturnType<typeof twilio>;

/** What matters of a Twilio number for the verification call. */
export interface IncomingNumber {
  sid: string;
  phoneNumber: string;
  voiceUrl: string;
  voiceMethod: string;
  /** When set, this TwiML application answers calls and `voiceUrl` is ignored. */
  voiceApplicationSid: string;
  /** When set, an Elastic SIP trunk takes the calls: neither the URL nor an application is used. */
  trunkSid: string;
  canTakeCalls: boolean;
  canSendSms: boolean;
}

/** The number on the account whose E.164 form is `phoneNumber`, or null when the account has none such. */
export async function findIncomingNumber(client: TwilioClient, phoneNumber: string): Promise<IncomingNumber | null> {
  // Twilio's filter also matches parts of numbers: keep only the exact one.
  const candidates = await client.incomingPhoneNumbers.list({ phoneNumber, limit: 20 });
  const found = candidates.find((n) => n.phoneNumber === phoneNumber);
  return found ? incomingNumberOf(found) : null;
}

/** Points the number's voice webhook at `voiceUrl` (POST), clearing a voice application when told to. */
export async function pointVoiceUrl(
  client: TwilioClient,
  sid: string,
  options: { voiceUrl: string; clearVoiceApplication: boolean },
): Promise<IncomingNumber> {
  const updated = await client.incomingPhoneNumbers(sid).update({
    voiceUrl: options.voiceUrl,
    voiceMethod: 'POST',
    ...(options.clearVoiceApplication ? { voiceApplicationSid: '' } : {}),
  });
  return incomingNumberOf(updated);
}

/**
 * Why Meta's call would not reach `expectedUrl`, or null when it would. One sentence each: these
 * are read by someone about to spend one of Meta's few verification calls.
 */
export function voiceSettingProblems(number: IncomingNumber, expectedUrl: string): string[] {
  const problems: string[] = [];
  if (!number.canTakeCalls) problems.push(`${number.phoneNumber} cannot take voice calls`);
  if (number.trunkSid) problems.push(`SIP trunk ${number.trunkSid} takes the calls, so the voice URL is ignored`);
  if (number.voiceApplicationSid) {
    problems.push(`voice application ${number.voiceApplicationSid} answers the calls, so the voice URL is ignored`);
  }
  if (number.voiceUrl !== expectedUrl) problems.push(`the voice URL is ${number.voiceUrl ? `"${number.voiceUrl}"` : 'empty'}, not ${expectedUrl}`);
  else if (number.voiceMethod.toUpperCase() !== 'POST') problems.push(`the voice URL is called with ${number.voiceMethod}, not POST`);
  return problems;
}

interface TwilioNumberFields {
  sid: string;
  phoneNumber: string;
  voiceUrl: string | null;
  voiceMethod: string | null;
  voiceApplicationSid: string | null;
  trunkSid?: string | null;
  capabilities: unknown;
}

function incomingNumberOf(n: TwilioNumberFields): IncomingNumber {
  // Twilio has spelled these keys both `sms` and `SMS` over the years.
  const capabilities = (n.capabilities ?? {}) as Record<string, unknown>;
  return {
    sid: n.sid,
    phoneNumber: n.phoneNumber,
    voiceUrl: n.voiceUrl ?? '',
    voiceMethod: n.voiceMethod ?? 'POST',
    voiceApplicationSid: n.voiceApplicationSid ?? '',
    trunkSid: n.trunkSid ?? '',
    canTakeCalls: capabilities.voice === true,
    canSendSms: capabilities.sms === true || capabilities.SMS === true,
  };
}
