/**
 * Lectern's vocabulary: roles, scopes, settings, resource types and actions (SPEC §3, §11).
 * Everything here is data; policy/ gives it meaning.
 */

export const ORG_ROLES = ['admin', 'license_manager', 'scheduler', 'av_technician', 'academic_staff'] as const;
export const PLATFORM_ROLES = ['system_admin'] as const;
export const SECTION_ROLES = ['instructor', 'teaching_assistant', 'student', 'guest_presenter', 'student_presenter'] as const;
export const LIBRARY_ROLES = ['viewer', 'editor', 'contributor'] as const;

export type OrgRole = (typeof ORG_ROLES)[number];
export type PlatformRole = (typeof PLATFORM_ROLES)[number];
export type StaffRole = OrgRole | PlatformRole;
export type SectionRole = (typeof SECTION_ROLES)[number];
export type LibraryRole = (typeof LIBRARY_ROLES)[number];

export const STAFF_ROLES: readonly StaffRole[] = [...PLATFORM_ROLES, ...ORG_ROLES];

export function isStaffRole(x: string): x is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(x);
}
export function isSectionRole(x: string): x is SectionRole {
  return (SECTION_ROLES as readonly string[]).includes(x);
}

/** How a staff role is scoped (SPEC §3). */
export const ROLE_SCOPE = {
  system_admin: 'platform',
  admin: 'unit',
  license_manager: 'root',
  scheduler: 'unit',
  av_technician: 'unit',
  academic_staff: 'unit',
} as const satisfies Record<StaffRole, 'platform' | 'root' | 'unit'>;

/** Human names, for reasons and the console. */
export const ROLE_LABEL = {
  system_admin: 'system admin',
  admin: 'admin',
  license_manager: 'license manager',
  scheduler: 'scheduler',
  av_technician: 'AV technician',
  academic_staff: 'academic staff',
} as const satisfies Record<StaffRole, string>;

export const CLASS_KINDS = ['manual', 'system'] as const;
export type ClassKind = (typeof CLASS_KINDS)[number];

/** scheduled and adhoc captures are system-generated; uploads are not. */
export const MEDIA_ORIGINS = ['scheduled', 'adhoc', 'upload'] as const;
export type MediaOrigin = (typeof MEDIA_ORIGINS)[number];

export const POST_TARGETS = ['publicLink', 'lmsEmbed', 'lmsHomework'] as const;
export type PostTarget = (typeof POST_TARGETS)[number];

export const DOWNLOAD_FORMATS = ['audio', 'video'] as const;

/** Section feature toggles (SPEC §7): the values each takes and the built-in default. */
export const TOGGLES = {
  qa: { values: ['on', 'off'], default: 'on' },
  studentCopy: { values: ['on', 'off'], default: 'on' },
  downloads: { values: ['off', 'audioOnly', 'on'], default: 'on' },
  downloadsTermActiveOnly: { values: ['on', 'off'], default: 'off' },
  coInstructorEditing: { values: ['on', 'off'], default: 'off' },
  instructorEnrollment: { values: ['on', 'off'], default: 'on' },
  instructorDeleteSystemCaptures: { values: ['on', 'off'], default: 'off' },
  instructorUnpublishSystemCaptures: { values: ['on', 'off'], default: 'off' },
} as const satisfies Record<string, { values: readonly string[]; default: string }>;
export type ToggleKey = keyof typeof TOGGLES;

export function isToggleKey(x: string): x is ToggleKey {
  return Object.hasOwn(TOGGLES, x);
}

/** Collection media permissions (SPEC §8), in the order the console lists them. */
export const COLLECTION_PERMISSIONS = ['add', 'copy', 'edit', 'post', 'download', 'editTranscripts', 'remove'] as const;
export type CollectionPermission = (typeof COLLECTION_PERMISSIONS)[number];

export const COLLECTION_LEVELS = ['reviewer', 'collaborator', 'contributor', 'editor', 'manager', 'custom'] as const;
export type CollectionLevel = (typeof COLLECTION_LEVELS)[number];

/** The table of SPEC §8: each level's permissions; the manager alone manages membership. */
export const LEVEL_PERMISSIONS = {
  reviewer: [],
  collaborator: ['post'],
  contributor: ['add', 'copy', 'post', 'download'],
  editor: ['add', 'copy', 'edit', 'post', 'download', 'editTranscripts'],
  manager: ['add', 'copy', 'edit', 'post', 'download', 'editTranscripts', 'remove'],
} as const satisfies Record<Exclude<CollectionLevel, 'custom'>, readonly CollectionPermission[]>;

/** Library roles are cumulative: a contributor is also an editor and a viewer (SPEC §9). */
export const LIBRARY_ROLE_RANK = { viewer: 1, editor: 2, contributor: 3 } as const satisfies Record<LibraryRole, number>;

export const FEATURES = ['liveStreaming', 'screenCapture', 'roomCapture'] as const;
export type Feature = (typeof FEATURES)[number];

/** `off`: Personal Capture is not licensed at all, so nobody records with it (issue 20). */
export const LICENSING_MODES = ['site', 'packs', 'off'] as const;
export type LicensingMode = (typeof LICENSING_MODES)[number];

export const USER_STATUSES = ['active', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const RESOURCE_TYPES = [
  'platform', 'institution', 'unit', 'user', 'licensePack', 'term', 'course', 'section', 'schedule',
  'class', 'classGroup', 'media', 'collection', 'library', 'room', 'device',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export function isResourceType(x: string): x is ResourceType {
  return (RESOURCE_TYPES as readonly string[]).includes(x);
}

/** The decision vocabulary of SPEC §11. Names are never renamed; new ones may be added. */
export const ACTIONS = [
  'platform.configure', 'institution.create', 'institution.configure',
  'unit.create', 'unit.update', 'unit.delete',
  'user.view', 'user.create', 'user.update', 'user.deactivate', 'user.delete',
  'role.grant', 'role.revoke',
  'license.view', 'license.assign', 'license.revoke', 'license.import', 'license.export',
  'licensePack.create', 'licensePack.update',
  'term.view', 'course.view', 'section.view', 'schedule.view', 'room.view', 'device.view',
  'term.create', 'term.update', 'term.delete',
  'course.create', 'course.update', 'course.delete',
  'section.create', 'section.update', 'section.delete',
  'schedule.create', 'schedule.update', 'schedule.delete',
  'section.enroll', 'section.unenroll', 'section.settings', 'section.analytics', 'section.polling',
  'section.accessLinks', 'section.captureStart', 'unit.settings',
  'class.create', 'class.delete', 'classGroup.create', 'classGroup.delete',
  'media.create', 'media.view', 'media.edit', 'media.editDetails', 'media.delete', 'media.download', 'media.copy',
  'media.share', 'media.publish', 'media.unpublish', 'media.post', 'media.editTranscripts',
  'qa.post', 'qa.moderate',
  'collection.create', 'collection.view', 'collection.delete', 'collection.addMedia', 'collection.removeMedia',
  'collection.addMember', 'collection.updateMember', 'collection.removeMember',
  'library.create', 'library.grant', 'library.revoke', 'library.view',
  'feature.use', 'feature.grant', 'feature.revoke', 'library.delete', 'user.setDefaultLibrary', 'audit.view', 'device.register', 'device.assign', 'device.configure', 'room.configure',
  'monitor.view', 'captureLogs.view', 'room.create', 'room.delete', 'device.delete', 'import.run', 'export.run', 'console.signIn',
  // The seeds' remainder: capture, presenters' media, playlists, the Shared Library, and the
  // institution and platform configuration capabilities (Ensemble) that the platform asks about.
  'capture.personal', 'section.importMedia', 'media.reprocess', 'media.changeState',
  'playlist.create', 'playlist.update', 'playlist.delete', 'playlist.publish', 'playlist.view',
  'sharedLibrary.view', 'media.addToSharedLibrary', 'library.workflows',
  'institution.branding', 'institution.metadata', 'institution.player', 'institution.portals', 'institution.workflowTemplates',
  'platform.licensing', 'platform.logs', 'platform.security', 'platform.transcoder', 'platform.transcodeProfiles',
  'user.search', 'section.roster',
  'scim.configure', 'scim.view',
  'lti.configure', 'lti.view', 'lti.launch', 'lti.sync',
  'identityProvider.configure', 'identityProvider.view',
  // Custom roles and institution role names (issue 21, docs/ROLES.md).
  'role.view', 'role.define', 'role.update', 'role.delete', 'institution.renameRoles',
  // Issue 20, what was left: a schedule's capture registered by Lectern for its presenter.
  'capture.register',
  'activity.ingest', 'activity.report',
] as const;
export type Action = (typeof ACTIONS)[number];

const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);

export function isAction(x: string): x is Action {
  return ACTION_SET.has(x);
}
