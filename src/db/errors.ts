/**
 * Errors of the document layer. They are not domain errors and carry no HTTP status: a repository
 * translates the ones it expects (a duplicate email becomes `EMAIL_TAKEN`), and the HTTP layer answers
 * anything else as a generic 500, keeping index names, schema paths and messages in the log only.
 */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A path of a document or update and what is wrong with it. */
export interface DocumentIssue {
  path: string;
  message: string;
}

/** A write that broke a unique index; nothing was written. */
export class DuplicateKeyError extends StoreError {
  constructor(
    readonly collection: string,
    readonly index: string | undefined,
  ) {
    super(`A ${collection} record with the same unique key already exists${index ? ` (${index})` : ''}`);
  }
}

/** A document or update refused by its collection schema; nothing was written. */
export class DocumentValidationError extends StoreError {
  constructor(
    readonly collection: string,
    readonly issues: DocumentIssue[],
  ) {
    super(
      `Document does not match the ${collection} schema: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    );
  }
}

/** A filter, update or option the engines cannot run (or would run differently): a bug in the caller. */
export class QueryError extends StoreError {}

/** Whether `error` is a duplicate on the named unique index (`_id` for the primary key). */
export const isDuplicateOn = (error: unknown, index: string): error is DuplicateKeyError =>
  error instanceof DuplicateKeyError && error.index === index;
