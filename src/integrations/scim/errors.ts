/**
 * SCIM errors (RFC 7644 §3.12): the error schema, its HTTP status and scimType, and how Lectern's
 * refusals translate into them (the reason is kept as the detail).
 */
import type { Refusal } from '../../domain/outcome.js';
import { URN } from './schema.js';

export type ScimType =
  | 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget'
  | 'invalidValue' | 'invalidVers' | 'sensitive';

export class ScimError extends Error {
  constructor(readonly status: number, message: string, readonly scimType?: ScimType) {
    super(message);
  }

  get body() {
    return { schemas: [URN.error], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.message };
  }
}

export const invalidFilter = (why: string) => new ScimError(400, `filter: ${why}`, 'invalidFilter');

/** A refused operation as a SCIM error: denied 403, invalid 400, notFound 404, conflict 409/412. */
export function fromRefusal(r: Refusal): ScimError {
  const detail = r.reasons && r.reasons.length > 1 ? `${r.message} (${r.reasons.slice(1).join('; ')})` : r.message;
  switch (r.status) {
    case 'denied':
      return new ScimError(403, detail);
    case 'notFound':
      return new ScimError(404, detail);
    case 'invalid':
      return new ScimError(400, detail, r.code === 'unknownField' ? 'invalidSyntax' : 'invalidValue');
    case 'conflict':
      if (r.code === 'preconditionFailed') return new ScimError(412, detail);
      // SPEC §2: one name, one user; and a group's name is unique.
      if (r.code.startsWith('duplicate')) return new ScimError(409, detail, 'uniqueness');
      return new ScimError(409, detail);
  }
}
