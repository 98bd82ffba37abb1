/**
 * The student activity record (issue 20; ESS: students' activity is recorded for usage reports).
 *
 * - `activity.ingest` on `institution:<id>`: the platform sends its view, play and download events
 *   with a service token — an API token of an admin of the root (as a SCIM token acts as its
 *   admin) — or Lectern itself. Nobody else writes usage.
 * - `activity.report` on `user:<id>` (context `section` to ask about one section): a person's usage
 *   follows who sees analytics (Echo360: instructors yes, teaching assistants no). In a section it is
 *   `section.analytics` there; outside any section (media viewed from a library or a share) only the
 *   person themself and admins of the root see it. A person always sees their own.
 * A section's usage report is `section.analytics` on the section itself.
 */
import { allow, because, deny, type Decision } from '../domain/outcome.js';
import type { Query, RuleTable } from './types.js';
import { teachingRules } from './teaching.js';

function ingest(q: Query): Decision {
  const { actor, world: w, resource } = q;
  if (resource.type !== 'institution' || resource.id !== w.institutionId) return deny(because`activity is sent to an institution, not '${resource.type}:${resource.id}'`);
  if (actor.isSystem) return allow('Lectern records activity itself');
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  if (actor.isInstitutionAdmin) return allow(because`${actor.name} is admin of the institution root, whose token the platform sends activity with`);
  return deny(because`activity is sent by the platform with an admin of the root's token; ${actor.name} is not one`);
}

function report(q: Query): Decision {
  const { actor, world: w, resource, context } = q;
  if (resource.type !== 'user' || !w.user(resource.id)) return deny(because`'${resource.type}:${resource.id}' is not a user of ${w.institutionId}`);
  if (actor.principal.kind === 'user' && !actor.foreign && actor.principal.userId === resource.id) return allow(because`${actor.name} sees their own activity`);
  const section = context.section;
  if (typeof section === 'string' && section !== '') {
    const d = teachingRules['section.analytics']!({ ...q, action: 'section.analytics', resource: { type: 'section', id: section }, context: {} });
    return d.allow ? d : deny(because`${resource.id}'s activity in section ${section} is seen by those who see its analytics`, ...d.reasons);
  }
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  if (actor.isInstitutionAdmin) return allow(because`${actor.name} is admin of the institution root`);
  return deny(because`${resource.id}'s activity outside sections is seen only by them and admins of the root; ask about a section`);
}

export const activityRules: RuleTable = {
  'activity.ingest': ingest,
  'activity.report': report,
};
