/** What a directory knows of a person (SPEC §9), and the error of a directory that cannot answer. */
export interface Person {
  firstName: string;
  lastName: string;
  email: string;
}

/** A directory could not be asked (unreachable, refused the service account, timed out, …). */
export class DirectoryError extends Error {
  constructor(
    readonly provider: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`identity provider '${provider}': ${message}`, options);
    this.name = 'DirectoryError';
  }
}
