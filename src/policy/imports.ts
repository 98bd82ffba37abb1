/**
 * Bulk imports and exports (SPEC §10): who may run a file of a kind at all. Every row is still
 * authorized on its own by the operation it runs, and exports hold only what the actor may see.
 * Admins import and export every kind; a scheduler only terms, courses, sections and schedules
 * (and enrollments, where only instructor rows pass);
 * licenses follow the license rules.
 */
import { allow, because, deny, type Decision } from '../domain/outcome.js';
import type { Query, RuleTable } from './types.js';

export const IMPORT_KINDS = ['users', 'units', 'terms', 'courses', 'sections', 'enrollments', 'schedules', 'members', 'licenses'] as const;
// Schedulers also enroll instructors (SPEC §3), so enrollment files are theirs too, row by row.
const SCHEDULER_KINDS: readonly string[] = ['terms', 'courses', 'sections', 'schedules', 'enrollments'];

function kindRule(exporting: boolean): (q: Query) => Decision {
  return (q) => {
    const { actor, context } = q;
    const kind = context.kind;
    if (typeof kind !== 'string' || !(IMPORT_KINDS as readonly string[]).includes(kind)) {
      return deny(because`which kind? context.kind must be one of ${IMPORT_KINDS.join(', ')}`);
    }
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    if (kind === 'licenses') {
      if (actor.holds('license_manager') && (exporting || actor.isAnyAdmin)) {
        return allow(because`${actor.name} is a license manager${exporting ? '' : ' and an admin'}`);
      }
      return deny(because`license files are ${exporting ? 'exported by license managers' : 'imported by license managers who are also admins'}; ${actor.name} is not one`);
    }
    if (actor.isAnyAdmin) return allow(because`${actor.name} is an admin; each row is checked against their rights`);
    if (SCHEDULER_KINDS.includes(kind) && actor.listed('scheduler').length > 0) return allow(because`${actor.name} is a scheduler with listed units, who ${exporting ? 'exports' : 'imports'} terms, courses, sections, schedules and instructor enrollments`);
    return deny(because`${actor.name} may not ${exporting ? 'export' : 'import'} ${kind}: that takes an admin${SCHEDULER_KINDS.includes(kind) ? ' or a scheduler with listed units' : ''}`);
  };
}

export const importRules: RuleTable = {
  'import.run': kindRule(false),
  'export.run': kindRule(true),
};
