/**
 * Capturing (the ESS users-and-roles and Echo360 seeds): who may record with Personal Capture, who
 * starts ad hoc captures in a section, and who imports external media into it.
 *
 * - Personal Capture (`capture.personal`) is what the licenses of SPEC §5 pay for: on the
 *   institution it asks "is this user a presenter?" (a licensed academic-staff user under `packs`,
 *   any academic staff under `site`, nobody when licensing is `off`); on a section it also asks that they present there
 *   (instructor or guest presenter) — or are a student presenter, whose Personal Capture
 *   presentations are class work for that section and take no seat.
 * - Ad hoc capture (`section.captureStart`): instructors, guest presenters and student presenters
 *   of the section, and admins over it; never teaching assistants (they do not see the button).
 * - Importing external media into a section (`section.importMedia`): instructors (and admins);
 *   never student presenters.
 */
import type { SectionRole } from '../domain/catalog.js';
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import { isPresenter } from './license.js';
import { adminOverSection, manageInUnit, roleWords, sectionRole } from './teaching.js';
import type { Query, RuleTable } from './types.js';

/** Is the actor a presenter for Personal Capture (SPEC §5), with the reason either way? */
function presenter(q: Query): Decision {
  const { world: w, actor } = q;
  const mode = w.institution.personalCaptureLicensing;
  if (actor.principal.kind !== 'user' || actor.foreign) return deny(because`${actor.name} is not a user of ${w.institutionId}`);
  const id = actor.principal.userId;
  if (mode === 'off') return deny(because`Personal Capture licensing is off in ${w.institutionId}, so nobody records with it`);
  if (!w.holds(id, 'academic_staff')) return deny(because`${actor.name} is not academic staff, and only academic staff record with Personal Capture`);
  if (isPresenter(w, id)) {
    return mode === 'site'
      ? allow(because`${w.institutionId} uses site licensing, so every academic-staff user is a presenter`)
      : allow(because`${actor.name} holds a Personal Capture license (${[...w.seatsOf(id)].sort().join(', ')})`);
  }
  return deny(because`${actor.name} holds no Personal Capture license in ${w.institutionId}, which licenses presenters by pack`);
}

const PRESENTING: readonly SectionRole[] = ['instructor', 'guest_presenter'];

function personalCapture(q: Query): Decision {
  const { world: w, actor, resource } = q;
  if (resource.type === 'institution') return resource.id === w.institutionId ? presenter(q) : deny(because`institution '${resource.id}' is not ${w.institutionId}`);
  if (resource.type !== 'section') return deny(because`Personal Capture is asked of an institution or a section, not a ${resource.type}`);
  if (!w.section(resource.id)) return deny(because`section '${resource.id}' does not exist`);
  const role = sectionRole(actor, resource.id);
  if (role === 'student_presenter') return allow(because`${actor.name} is a student presenter in section ${resource.id}, and student presenters prepare Personal Capture presentations for it`);
  const p = presenter(q);
  if (!p.allow) return p;
  if (role && PRESENTING.includes(role)) return allow(...p.reasons, because`${actor.name} is ${roleWords(role)} in section ${resource.id}`);
  const admin = adminOverSection(actor, resource.id);
  if (admin) return allow(...p.reasons, ...admin.reasons);
  return deny(
    role ? because`${actor.name} is ${roleWords(role)} in section ${resource.id}, and only its instructors, guest presenters and student presenters record for it` : because`${actor.name} does not present in section ${resource.id}`,
    ...p.reasons,
  );
}

/** A section capability for some section roles and the admins over the section. */
function forRoles(roles: readonly SectionRole[], never: string): (q: Query) => Decision {
  return (q) => {
    const { world: w, actor, resource } = q;
    if (resource.type !== 'section' || !w.section(resource.id)) return deny(because`${resource.type} '${resource.id}' is not a section that exists`);
    const admin = adminOverSection(actor, resource.id);
    if (admin) return admin;
    const role = sectionRole(actor, resource.id);
    if (!role) return deny(because`${actor.name} is not enrolled in section ${resource.id} and has no admin rights over it`);
    if (roles.includes(role)) return allow(because`${actor.name} is ${roleWords(role)} in section ${resource.id}`);
    return deny(because`${actor.name} is ${roleWords(role)} in section ${resource.id}, and ${never}`);
  };
}

/**
 * Registering a capture a schedule produced (`capture.register` on `schedule:<id>`): the capture
 * service does it through Lectern, or an admin over the schedule's unit (whose token the capture
 * service may use, as a SCIM token acts as an admin). Nobody else: owner and class are Lectern's to
 * set, so a presenter or scheduler cannot file a capture under someone else's name.
 */
function registerCapture(q: Query): Decision {
  const { world: w, actor, resource } = q;
  if (resource.type !== 'schedule') return deny(because`captures are registered against a schedule, not a ${resource.type}`);
  const s = w.schedule(resource.id);
  if (!s) return deny(because`schedule '${resource.id}' does not exist`);
  if (actor.isSystem) return allow(because`Lectern registers the captures of schedule ${s.id} for the capture service`);
  const unit = s.sectionId === null ? s.unitId : (w.sectionUnit(s.sectionId) ?? s.unitId);
  const d = manageInUnit(actor, unit, 'register captures of its schedules', false);
  return d.allow ? d : deny(because`captures of schedule ${s.id} are registered by the capture service or an admin over ${w.tree.name(unit)}`, ...d.reasons);
}

export const captureRules: RuleTable = {
  'capture.register': registerCapture,
  'capture.personal': personalCapture,
  'section.captureStart': forRoles(['instructor', 'guest_presenter', 'student_presenter'], 'ad hoc captures are started by instructors, guest presenters and student presenters (teaching assistants do not see the button)'),
  'section.importMedia': forRoles(['instructor'], 'only instructors import external media and Personal Capture presentations into a section (student presenters never import external media)'),
};
