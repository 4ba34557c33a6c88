/**
 * The operator page's sign-ins, by a keyed hash of their cookie (never the cookie itself).
 * Asynchronous like `Store`, so a server database can implement it.
 */
export interface SessionStore {
  /** Opens a session until `expiresAt`; forgets the sessions already expired at `now`. */
  openSession(tokenHash: string, now: Date, expiresAt: Date): Promise<void>;
  /** True while the session exists and has not expired at `now`. */
  isSessionOpen(tokenHash: string, now: Date): Promise<boolean>;
  /** Ends a session (signing out); unknown hashes change nothing. */
  closeSession(tokenHash: string): Promise<void>;
}
