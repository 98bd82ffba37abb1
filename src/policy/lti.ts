/**
 * LMS launches and rosters (issue 15): who configures LTI platforms and syncs rosters, and the
 * rules that turn what an LMS says about a person into Lectern terms — which section role an LTI
 * role becomes, whether a staff section role can be held or must fall back, and which user a
 * launching person is (SPEC §2 "One name, one user", §3).
 */
import type { SectionRole } from '../domain/catalog.js';
import { allow, because, deny } from '../domain/outcome.js';
import type { UserRow } from '../domain/rows.js';
import type { World } from '../world/world.js';
import { adminOverSection } from './teaching.js';
import type { RuleTable } from './types.js';

export const LIS = 'http://purl.imsglobal.org/vocab/lis/v2/';
const MEMBERSHIP = `${LIS}membership`;

/** The context roles a registration maps unless told otherwise (issue 15). */
export const DEFAULT_ROLE_MAPPING: Readonly<Record<string, SectionRole>> = {
  [`${MEMBERSHIP}#Instructor`]: 'instructor',
  [`${MEMBERSHIP}/Instructor#TeachingAssistant`]: 'teaching_assistant',
  [`${MEMBERSHIP}#Learner`]: 'student',
  [`${MEMBERSHIP}#ContentDeveloper`]: 'guest_presenter',
};

/** When several mapped roles apply, the one with the most rights in the section wins. */
const RANK = { instructor: 5, teaching_assistant: 4, guest_presenter: 3, student_presenter: 2, student: 1 } as const satisfies Record<SectionRole, number>;

export const STAFF_RULES = ['grant', 'student'] as const;
export type StaffRule = (typeof STAFF_RULES)[number];
export const USER_MATCHERS = ['email', 'sourcedid'] as const;
export type UserMatcher = (typeof USER_MATCHERS)[number];

/**
 * An LTI role in its full form. Platforms still send context roles by short name (`Instructor`,
 * `Instructor#TeachingAssistant`) or as LTI 1.1 URNs; all become membership URIs. Institution and
 * system roles keep their URIs and are recognised as such.
 */
export function canonicalRole(raw: string): string {
  const r = raw.trim();
  if (r.startsWith(LIS)) return r;
  const urn = /^urn:lti:role:ims\/lis\/(.+)$/.exec(r);
  const short = urn ? urn[1]! : r;
  if (/^[A-Za-z]+(#[A-Za-z]+)?$/.test(short)) {
    const [principal, sub] = short.split('#');
    return sub ? `${MEMBERSHIP}/${principal}#${sub}` : `${MEMBERSHIP}#${principal}`;
  }
  const sub = /^([A-Za-z]+)\/([A-Za-z]+)$/.exec(short);
  if (sub) return `${MEMBERSHIP}/${sub[1]}#${sub[2]}`;
  return r;
}

/** Institution and system roles describe a person, not their place in this course. */
export function isContextRole(uri: string): boolean {
  return uri.startsWith(MEMBERSHIP);
}

export type RoleMapping = Readonly<Record<string, SectionRole | 'none'>>;

/**
 * The section role for a launch's roles by the registration's mapping. Only context roles count:
 * an institution or system role (Faculty, Administrator) never makes anyone staff of a section.
 * A sub-role (Instructor#TeachingAssistant) stands instead of its principal role, which LTI
 * requires platforms to send with it.
 */
export function mapRoles(mapping: RoleMapping, roles: readonly string[]): { role: SectionRole; from: string } | { refusal: string } {
  const canon = [...new Set(roles.map(canonicalRole))].filter(isContextRole);
  if (canon.length === 0) {
    return { refusal: roles.length === 0 ? 'the launch names no role' : `the launch names no role in the course, only ${roles.join(', ')} (institution and system roles do not place anyone in a section)` };
  }
  const principalsWithSub = new Set(canon.filter((r) => r.startsWith(`${MEMBERSHIP}/`)).map((r) => `${MEMBERSHIP}#${r.slice(MEMBERSHIP.length + 1).split('#')[0]}`));
  let best: { role: SectionRole; from: string } | undefined;
  for (const r of canon) {
    const mapped = mapping[r];
    if (mapped === undefined || mapped === 'none') continue;
    // The principal role is set aside when a mapped sub-role of it is present.
    if (principalsWithSub.has(r) && canon.some((s) => s.startsWith(`${MEMBERSHIP}/${r.slice(MEMBERSHIP.length + 1)}#`) && mapping[s] !== undefined && mapping[s] !== 'none')) continue;
    if (!best || RANK[mapped] > RANK[best.role]) best = { role: mapped, from: r };
  }
  return best ?? { refusal: `no role of the launch is mapped to a section role (${canon.join(', ')})` };
}

/**
 * Where a staff section role lands for someone (SPEC §3: staff section roles need academic staff
 * within the section's unit). Without it, the registration's rule decides: grant academic staff at
 * the course's unit, or enroll as a student and say why.
 */
export function staffPlacement(
  w: World,
  userId: string,
  sectionUnit: string,
  role: SectionRole,
  rule: StaffRule,
): { role: SectionRole; grantAcademicStaffAt?: string; notice?: string } {
  if (role === 'student' || role === 'student_presenter') return { role };
  if (w.listedUnits(userId, 'academic_staff').some((u) => w.tree.within(sectionUnit, u))) return { role };
  const words = role.replace('_', ' ');
  if (rule === 'grant') {
    return { role, grantAcademicStaffAt: sectionUnit, notice: `${userId} was made academic staff of ${w.tree.name(sectionUnit)} to be ${words} here, as this LMS registration allows` };
  }
  return { role: 'student', notice: `${userId} is not academic staff within ${w.tree.name(sectionUnit)}, so they are enrolled as a student instead of ${words}; an admin can make them academic staff` };
}

export interface LaunchPerson {
  email?: string;
  sourcedId?: string;
}

/**
 * The Lectern user a launching person is, by the registration's matchers. Each matcher may name
 * at most one user (SPEC §2); two matchers naming different users is ambiguous and refused.
 */
export function matchUser(w: World, matchers: readonly UserMatcher[], p: LaunchPerson): { user?: UserRow } | { refusal: string } {
  const found = new Map<string, string[]>();
  for (const m of matchers) {
    const value = m === 'email' ? p.email : p.sourcedId;
    if (!value) continue;
    const u = w.findUser(value);
    if (!u) continue;
    if (m === 'email' && u.email.toLowerCase() !== value.toLowerCase() && u.username !== value && u.id !== value) continue;
    found.set(u.id, [...(found.get(u.id) ?? []), `${m === 'email' ? 'email' : 'lis.person_sourcedid'} ${value}`]);
  }
  if (found.size > 1) {
    const named = [...found.entries()].map(([id, why]) => `${why.join(' and ')} names ${id}`).join('; ');
    return { refusal: `the person matches more than one Lectern user (${named}); an admin must settle which one they are` };
  }
  const id = [...found.keys()][0];
  return id === undefined ? {} : { user: w.user(id)! };
}

/** Whose launch brings the roster up to date (issue 15: an instructor's, at most every N minutes). */
export function launchSyncsRoster(role: SectionRole, syncMinutes: number): boolean {
  return role === 'instructor' && syncMinutes > 0;
}

export const ltiRules: RuleTable = {
  'lti.configure': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root`)
      : deny(because`LMS platforms are registered only by an admin of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  },
  'lti.view': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root`)
      : deny(because`LMS platform registrations are seen by admins of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  },
  // A launch is Lectern acting on a message whose signature it verified, never a person's request.
  'lti.launch': ({ actor }) =>
    actor.isSystem ? allow('Lectern verified the platform\'s signed launch') : deny(because`launches come from a registered LMS through Lectern; ${actor.name} cannot make one`),
  'lti.sync': ({ actor, world, resource }) => {
    if (actor.isSystem) return allow('Lectern syncs rosters after an instructor launch');
    if (resource.type !== 'section' || !world.section(resource.id)) return deny(because`'${resource.type}:${resource.id}' is not a section`);
    return adminOverSection(actor, resource.id) ?? deny(because`a section's roster is synced from the LMS by an admin over it; ${actor.name} is not one`);
  },
};
