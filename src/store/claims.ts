/**
 * Work that several instances share (a delivery to send, a lane of forwards) is **claimed** before it
 * is done: the claim names its holder and lasts until its lease runs out. While the lease lasts no
 * other instance takes the work; a holder renews the leases of the work it still has in hand, so a
 * slow SMTP server or receiver never lets a live instance lose its claim. An instance that dies stops
 * renewing, and its work is free again once the lease has passed: another instance takes it over.
 *
 * Finishing the work (sent, retry later, failed for good) releases the claim in the same write.
 */
export interface Claim {
  /** Who holds the claim: one id per running instance (`instanceId()`). */
  worker: string;
  /** When the claim is made: work due at this time may be claimed. */
  now: Date;
  /** Until when it holds: past this time another instance may take the work. */
  until: Date;
}

/**
 * How long a claim holds without renewal: a dead instance's deliveries and forwards resume within
 * this time. Holders renew every third of it, so a live one keeps its claims through two missed
 * renewals (a busy event loop, a database that blinked).
 */
export const DEFAULT_LEASE_MS = 30_000;
