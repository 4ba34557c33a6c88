/**
 * The database's schema does not match this release: newer than the code knows (an older release
 * started against a database a newer one migrated), or older with migrations left to a release step
 * (`DATABASE_MIGRATE=off`). The service refuses to start rather than misread or damage the data.
 */
export class SchemaError extends Error {
  constructor(
    message: string,
    /** The setting (or command) that resolves it, named at start. */
    readonly fix: string,
  ) {
    super(message);
    this.name = 'SchemaError';
  }
}

/** How far a database's schema is, against what this release knows. */
export interface SchemaStatus {
  /** Migrations applied to the database. */
  applied: number;
  /** Migrations this release has. */
  known: number;
}

/** Throws a `SchemaError` unless the database is at exactly the release's schema. */
export function requireCurrentSchema(status: SchemaStatus, where: string): void {
  if (status.applied > status.known) {
    throw new SchemaError(
      `${where} has schema version ${status.applied}, newer than this release knows (${status.known}): a newer wa-onboard migrated it`,
      'run the newer release of wa-onboard, or point it at another database',
    );
  }
  if (status.applied < status.known) {
    throw new SchemaError(
      `${where} has schema version ${status.applied}; this release needs ${status.known} and DATABASE_MIGRATE is off`,
      'run `wa-onboard db migrate` (the release step), or set DATABASE_MIGRATE=on',
    );
  }
}
