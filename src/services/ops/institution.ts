/**
 * institution.configure, with the delegated-administration transitions of SPEC §4; and the
 * arguments of institution.create (which needs no existing world and is run in lectern.ts).
 */
import { LICENSING_MODES } from '../../domain/catalog.js';
import type { Change, InstitutionRow } from '../../domain/rows.js';
import { LISTED_ONLY } from '../../policy/index.js';
import { defineOp, inInstitution, type Operation } from '../operation.js';
import { bool, id, oneOf, optional, text, wholeNumber } from '../validate.js';

const SETTINGS = {
  delegatedAdministration: optional(bool()),
  studentLibrary: optional(bool()),
  personalCaptureLicensing: optional(oneOf(LICENSING_MODES)),
  // Issue 20: how long the student activity record is kept; 0 keeps it for ever.
  activityRetentionDays: optional(wholeNumber(0, 3650)),
};

/** institution.create's arguments. */
export const INSTITUTION_CREATE = { id: id(), name: text(), rootName: optional(text()), ...SETTINGS };

export const institutionOps: Record<string, Operation> = {
  'institution.configure': defineOp({
    action: 'institution.configure',
    args: { ...SETTINGS, name: optional(text()) },
    on: inInstitution(),
    plan({ world: w, args }) {
      const { delegatedAdministration: da, studentLibrary: sl, personalCaptureLicensing: pcl, activityRetentionDays: keep, name } = args;
      const next: InstitutionRow = {
        ...w.institution,
        ...(da !== undefined ? { delegatedAdministration: da } : {}),
        ...(sl !== undefined ? { studentLibrary: sl } : {}),
        ...(pcl !== undefined ? { personalCaptureLicensing: pcl } : {}),
        ...(keep !== undefined ? { activityRetentionDays: keep } : {}),
        ...(name !== undefined ? { name } : {}),
      };
      const changes: Change[] = [];
      if (JSON.stringify(next) !== JSON.stringify(w.institution)) changes.push({ table: 'institution', op: 'put', row: next });
      // Turning DA on lists every admin with no listed unit at the root, so they stay institution-level,
      // and makes every admin one whose rights are only where listed. So turning it off again promotes
      // nobody: lower-level admins keep only their lower units, unlisted ones stay without rights.
      if (da === true && !w.institution.delegatedAdministration) {
        for (const userId of w.usersWithGrants()) {
          const grants = w.grantsOf(userId).filter((g) => g.role === 'admin');
          const holding = grants.find((g) => g.scopeType === 'none');
          if (holding && holding.scopeId !== LISTED_ONLY) {
            changes.push({ table: 'roleGrant', op: 'del', row: holding });
            changes.push({ table: 'roleGrant', op: 'put', row: { ...holding, scopeId: LISTED_ONLY } });
            if (!grants.some((g) => g.scopeType === 'unit')) {
              changes.push({ table: 'roleGrant', op: 'put', row: { ...holding, scopeType: 'unit', scopeId: w.rootId } });
            }
          }
        }
      }
      return { changes, target: `institution:${w.institutionId}`, result: next };
    },
  }),
};
