import { z } from 'zod';

/**
 * The form parameters we read from Twilio's voice requests. Twilio adds parameters without notice,
 * so unknown ones pass through; only `CallSid` is required of every request.
 */
export const twilioCallParams = z.looseObject({
  CallSid: z.string().min(1, 'CallSid is missing: is this request from Twilio?'),
  From: z.string().default(''),
  To: z.string().default(''),
  Digits: z.string().optional(),
  SpeechResult: z.string().optional(),
  Confidence: z.string().optional(),
  RecordingUrl: z.string().optional(),
  TranscriptionText: z.string().optional(),
  TranscriptionStatus: z.string().optional(),
  /**
   * Set by `wa-onboard doctor` (never by Twilio): a rehearsal of the answer that must leave no call
   * behind. It is covered by the signature, so only a holder of the auth token can send it.
   */
  WaOnboardProbe: z.string().optional(),
  /**
   * Set by `wa-onboard simulate call` (never by Twilio): the call is a rehearsal, and its code's
   * email and SMS say so. Covered by the signature like the probe, so only a holder of the auth
   * token can mark a call, and only the call it is sending.
   */
  WaOnboardRehearsal: z.string().optional(),
});

export type TwilioCallParams = z.infer<typeof twilioCallParams>;

/** Which listening try a request belongs to, from `?listen=N` (1 when absent or nonsense). */
export function listenNumber(query: unknown, max: number): number {
  const raw = (query as Record<string, unknown> | undefined)?.listen;
  const n = typeof raw === 'string' ? Number.parseInt(raw, 10) : 1;
  return Number.isFinite(n) && n >= 1 ? Math.min(n, max) : 1;
}
