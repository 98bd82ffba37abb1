/**
 * Bulk imports and exports (SPEC §10): who may run a file of a kind at all. Every row is still
 * authorized on its own by the operation it runs, and exports hold only what the actor may see.
 * Admins import and export every kind. A scheduler with listed units imports terms, courses,
 * sections and schedules only — not users, units, enrollments or members (SPEC §10) — and runs every
 * export but licenses, whose rows are each limited to what the scheduler may see: teaching objects
 * within their units, users in full (SPEC §10). Licenses follow the license rules.
 */
import { allow, because, deny, type Decision } from '../domain/outcome.js';
import type { Query, RuleTable } from './types.js';

export const IMPORT_KINDS = ['users', 'units', 'terms', 'courses', 'sections', 'enrollments', 'schedules', 'members', 'licenses', 'roles', 'rooms', 'devices'] as const;
// Rooms and devices sit outside the hierarchy; AV technicians manage them as admins do (issue 20).
const FACILITY_KINDS: readonly string[] = ['rooms', 'devices'];
// SPEC §10: a scheduler imports these kinds only (enrolling an instructor is a single operation).
const SCHEDULER_IMPORTS: readonly string[] = ['terms', 'courses', 'sections', 'schedules'];

function kindRule(exporting: boolean): (q: Query) => Decision {
  return (q) => {
    const { actor, context } = q;
    // An import job (an upload run in the background) and its rows are seen by whoever started it.
    if (!exporting && context.jobOwner !== undefined) {
      return context.jobOwner === actor.id
        ? allow(because`${actor.name} started this import`)
        : deny(because`this import was started by ${String(context.jobOwner)}; only they see its progress and rows`);
    }
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
    if (FACILITY_KINDS.includes(kind) && actor.listed('av_technician').length > 0) {
      return allow(because`${actor.name} is an AV technician, who manages rooms and devices; each row is checked against their rights`);
    }
    const scheduler = actor.listed('scheduler').length > 0;
    if (exporting && scheduler) return allow(because`${actor.name} is a scheduler with listed units, who runs every export; each holds only what they may see`);
    if (SCHEDULER_IMPORTS.includes(kind) && scheduler) return allow(because`${actor.name} is a scheduler with listed units, who imports terms, courses, sections and schedules`);
    const schedulersToo = exporting || SCHEDULER_IMPORTS.includes(kind);
    return deny(
      because`${actor.name} may not ${exporting ? 'export' : 'import'} ${kind}: that takes an admin${schedulersToo ? ' or a scheduler with listed units' : ' (schedulers import terms, courses, sections and schedules only)'}`,
    );
  };
}

export const importRules: RuleTable = {
  'import.run': kindRule(false),
  'export.run': kindRule(true),
};
