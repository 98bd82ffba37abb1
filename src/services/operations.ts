/**
 * The domain's operations by name, one table per area. Lectern runs them; import kinds plan them
 * row by row.
 */
import type { Operation } from './operation.js';
import { institutionOps } from './ops/institution.js';
import { roleOps } from './ops/role.js';
import { unitOps } from './ops/unit.js';
import { userOps } from './ops/user.js';
import { teachingOps } from './ops/teaching.js';
import { mediaOps } from './ops/media.js';
import { licenseOps } from './ops/license.js';
import { collectionOps } from './ops/collection.js';
import { libraryOps } from './ops/library.js';
import { scimOps } from './ops/scim.js';
import { onerosterOps } from './ops/oneroster.js';
import { ltiOps } from './ops/lti.js';
import { identityOps } from './ops/identity.js';
import { customRoleOps } from './ops/customRoles.js';
import { captureOps } from './ops/capture.js';

export const BASE_OPERATIONS: Record<string, Operation> = {
  ...institutionOps,
  ...unitOps,
  ...userOps,
  ...roleOps,
  ...teachingOps,
  ...mediaOps,
  ...licenseOps,
  ...collectionOps,
  ...libraryOps,
  ...scimOps,
  ...onerosterOps,
  ...ltiOps,
  ...identityOps,
  ...customRoleOps,
  ...captureOps,
};

