/**
 * `wa-onboard db copy` would not copy: there is no SQLite file to copy, or the target holds data of
 * its own, a copy of another SQLite file, or rows that are not the source's under the source's ids.
 * Raised before anything is written (or, for rows that differ, with the table being copied rolled
 * back).
 */
export class CopyRefusedError extends Error {
  constructor(
    message: string,
    /** What the operator does about it. */
    readonly fix: string,
  ) {
    super(message);
    this.name = 'CopyRefusedError';
  }
}
