/**
 * The built-in roles in the model custom roles use (docs/ROLES.md): each one's scope kind and the
 * actions of the catalogue it carries, so an admin reads what each role does beside the roles their
 * institution defined. Policy (src/policy) stays the authority on every decision: the lists are what
 * the rules give a holder somewhere, with the limits in `limits`, and test/roles-model.test.ts holds
 * each listed action to a decision a holder obtains.
 */
import { type Action, ACTIONS, COLLECTION_LEVELS, LIBRARY_ROLES, ROLE_LABEL, SECTION_ROLES, STAFF_ROLES } from './catalog.js';

export type ScopeKind = 'platform' | 'root' | 'unit' | 'section' | 'library' | 'collection';

export interface RoleModel {
  id: string;
  /** The built-in name; an institution may rename it (institution.renameRoles). */
  label: string;
  kind: 'staff' | 'section' | 'library' | 'collection' | 'custom';
  scopeKind: ScopeKind;
  description: string;
  capabilities: string[];
  /** What the rules add to the list: where it applies and what binds it. */
  limits: string;
  /** The key institution.renameRoles takes for it (library roles and access levels share words, so they are qualified). */
  renameKey?: string;
}

/** The key a role or level is renamed by: a staff or section role's id; `library.<role>`; `collection.<level>`. */
export function renameKeyOf(kind: RoleModel['kind'], id: string): string {
  return kind === 'library' || kind === 'collection' ? `${kind}.${id}` : id;
}

/** License packs are the platform's (system admins create and change them), like platform.* and institution.create. */
const ADMIN_ACTIONS: Action[] = ACTIONS.filter((a) => !a.startsWith('platform.') && a !== 'institution.create' && a !== 'licensePack.create' && a !== 'licensePack.update');

const TEACHING_MEDIA: Action[] = ['media.view', 'media.editDetails', 'media.download', 'media.copy', 'media.share', 'media.publish', 'media.post', 'media.reprocess', 'media.changeState'];

const BUILT_IN: Omit<RoleModel, 'label'>[] = [
  {
    id: 'system_admin',
    kind: 'staff',
    scopeKind: 'platform',
    description: 'Runs the platform: every institution, every action.',
    capabilities: [...ACTIONS],
    limits: 'Granted and revoked only by another system admin; the LMS homework lock binds them too.',
  },
  {
    id: 'admin',
    kind: 'staff',
    scopeKind: 'unit',
    description: 'Administers an org unit and everything below it.',
    capabilities: ADMIN_ACTIONS,
    limits:
      'Within their units (all of the institution while delegated administration is off, for an admin with no listed unit). Institution settings, identity providers, role names and the license manager role are for admins of the root. Never above their own rights: no system admin, nothing over a user who holds a role above theirs.',
  },
  {
    id: 'license_manager',
    kind: 'staff',
    scopeKind: 'root',
    description: 'Manages Personal Capture license packs and seats.',
    capabilities: ['license.view', 'license.assign', 'license.revoke', 'license.import', 'license.export'],
    limits: 'At the institution root only; seats go to active academic staff; packs themselves are created and changed by system admins.',
  },
  {
    id: 'scheduler',
    kind: 'staff',
    scopeKind: 'unit',
    description: 'Keeps the teaching calendar: terms, courses, sections and capture schedules.',
    capabilities: ['term.create', 'term.update', 'term.delete', 'course.view', 'course.create', 'course.update', 'course.delete', 'section.view', 'section.create', 'section.update', 'section.delete', 'schedule.view', 'schedule.create', 'schedule.update', 'schedule.delete', 'section.enroll', 'monitor.view', 'import.run', 'export.run'],
    limits: 'Within their listed units (with none listed, nothing); enrolls instructors only; imports terms, courses, sections and schedules.',
  },
  {
    id: 'av_technician',
    kind: 'staff',
    scopeKind: 'unit',
    description: 'Looks after rooms, capture devices and recordings.',
    capabilities: ['room.view', 'room.create', 'room.configure', 'room.delete', 'device.view', 'device.register', 'device.assign', 'device.configure', 'device.delete', 'monitor.view', 'captureLogs.view', 'section.view', 'media.view', 'media.download'],
    limits: 'Within their listed units; views (never edits) media published there, in every format.',
  },
  {
    id: 'academic_staff',
    kind: 'staff',
    scopeKind: 'unit',
    description: 'Teaching staff: may be given a Personal Capture seat, and is staff (has a library) even with the student library off.',
    capabilities: ['capture.personal', 'media.create'],
    limits: 'Personal Capture needs a seat (or site licensing); teaching rights come from section roles.',
  },
  {
    id: 'instructor',
    kind: 'section',
    scopeKind: 'section',
    description: 'Teaches a section.',
    capabilities: ['section.view', 'section.roster', 'section.settings', 'section.analytics', 'section.polling', 'section.accessLinks', 'section.enroll', 'section.unenroll', 'class.create', 'class.delete', 'classGroup.create', 'classGroup.delete', 'qa.post', 'qa.moderate', ...TEACHING_MEDIA, 'media.edit', 'media.editTranscripts', 'media.unpublish', 'media.delete'],
    limits: "On the section and media published there; editing others' media needs coInstructorEditing; system captures need their toggles; never unpublishes another instructor's publication.",
  },
  {
    id: 'teaching_assistant',
    kind: 'section',
    scopeKind: 'section',
    description: 'Assists the instructors of a section.',
    capabilities: ['section.view', 'section.roster', 'class.create', 'classGroup.create', 'qa.post', 'qa.moderate', ...TEACHING_MEDIA],
    limits: "Never changes section settings or analytics, never deletes or unpublishes media they do not own; editing others' media needs coInstructorEditing.",
  },
  {
    id: 'student',
    kind: 'section',
    scopeKind: 'section',
    description: 'Takes a section.',
    capabilities: ['section.view', 'qa.post', 'media.view', 'media.download', 'media.copy'],
    limits: 'Downloads and copies as the section toggles allow (downloads, downloadsTermActiveOnly, studentCopy); never publishes to the section.',
  },
  {
    id: 'guest_presenter',
    kind: 'section',
    scopeKind: 'section',
    description: 'Presents in a section without being part of it.',
    capabilities: ['media.view'],
    limits: 'Views only the media they presented; never edits or changes the state of media.',
  },
  {
    id: 'student_presenter',
    kind: 'section',
    scopeKind: 'section',
    description: 'A student who also records in the section.',
    capabilities: ['section.view', 'qa.post', 'media.view', 'media.download', 'media.copy', 'media.publish'],
    limits: 'Publishes their own recordings; never edits media, their own published media included.',
  },
  { id: 'viewer', kind: 'library', scopeKind: 'library', description: 'Views a library’s media.', capabilities: ['library.view', 'media.view'], limits: 'Within the library.' },
  { id: 'editor', kind: 'library', scopeKind: 'library', description: 'Edits existing titles of a library.', capabilities: ['library.view', 'media.view', 'media.edit', 'media.editDetails', 'media.editTranscripts'], limits: 'Within the library; also a viewer.' },
  { id: 'contributor', kind: 'library', scopeKind: 'library', description: 'Adds, edits and deletes a library’s media.', capabilities: ['library.view', 'media.create', 'media.view', 'media.edit', 'media.editDetails', 'media.editTranscripts', 'media.delete', 'media.addToSharedLibrary'], limits: 'Within the library; also an editor and a viewer.' },
];

/** Access levels of collections (SPEC §8) are listed too, so they can be renamed and read alike. */
const LEVEL_WORDS: Record<string, string> = {
  reviewer: 'Views the collection’s media.',
  collaborator: 'Views and posts.',
  contributor: 'Adds, copies, posts and downloads.',
  editor: 'Adds, copies, edits, posts, downloads and edits transcripts.',
  manager: 'Every media permission, and manages membership.',
  custom: 'The permissions the manager picks.',
};

const DEFAULT_LABEL: Record<string, string> = {
  ...ROLE_LABEL,
  instructor: 'instructor',
  teaching_assistant: 'teaching assistant',
  student: 'student',
  guest_presenter: 'guest presenter',
  student_presenter: 'student presenter',
  viewer: 'viewer',
  editor: 'editor',
  contributor: 'contributor',
};

/** The built-in roles and access levels, each with its built-in label (callers apply an institution's). */
export function builtInRoles(): RoleModel[] {
  const roles: RoleModel[] = BUILT_IN.map((r) => ({ ...r, label: DEFAULT_LABEL[r.id] ?? r.id, renameKey: renameKeyOf(r.kind, r.id) }));
  for (const level of COLLECTION_LEVELS) {
    roles.push({ id: level, label: level, kind: 'collection', scopeKind: 'collection', description: LEVEL_WORDS[level] ?? '', capabilities: [], limits: 'Collection permissions (SPEC §8), not actions: see the collection’s access levels.', renameKey: renameKeyOf('collection', level) });
  }
  return roles;
}

/** Every id a built-in role or level answers to (a custom role may take none of them). */
export const BUILT_IN_IDS: readonly string[] = [...STAFF_ROLES, ...SECTION_ROLES, ...LIBRARY_ROLES, ...COLLECTION_LEVELS];

/** The keys institution.renameRoles takes. */
export const RENAME_KEYS: readonly string[] = [...STAFF_ROLES, ...SECTION_ROLES, ...LIBRARY_ROLES.map((r) => `library.${r}`), ...COLLECTION_LEVELS.map((l) => `collection.${l}`)];
