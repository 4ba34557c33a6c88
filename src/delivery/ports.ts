/** An email ready to send. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
}

/** Sends one email; rejects with a `DeliveryError` (or anything, treated as transient). */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
}

/** An SMS ready to send. */
export interface OutgoingSms {
  to: string;
  body: string;
}

/** Sends one SMS; rejects with a `DeliveryError` (or anything, treated as transient). */
export interface SmsSender {
  send(sms: OutgoingSms): Promise<void>;
}

/** Time, injected so retry schedules can be tested without waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
