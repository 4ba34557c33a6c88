/**
 * Advisory locks: the singletons of a shared database. Each is taken as the pair
 * (hashtext(current_schema()), key), so two deployments in two schemas of one database never wait
 * on each other. The keys are spelled from "wa" so a DBA reading pg_locks can tell them apart.
 */
export const LOCKS = {
  /** Migrations at start: instances starting together apply them once. */
  migrate: 0x77610001,
  /** Dispatch: one batch at a time across all instances, so events are recorded in arrival order. */
  dispatch: 0x77610002,
  /** Retention pruning: one instance at a time; the others skip. */
  prune: 0x77610003,
  /** Admitting a call (issue 16): one at a time, so the hourly forwarding budget holds across instances. */
  callAdmission: 0x77610004,
} as const;

/** The SQL arguments of a lock on `$n`: the schema's hash and the key. */
export function lockArgs(n: number): string {
  return `hashtext(current_schema()), $${n}`;
}

/** The channel of LISTEN/NOTIFY wake-ups. */
export const CHANNEL = 'wa_onboard';
