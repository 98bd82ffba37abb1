/**
 * The OneRoster 1.1 CSV files Lectern reads, and how one record of each becomes a row operation
 * (`oneroster.<kind>`, src/services/ops/oneroster.ts). Protocol translation only: the columns, the
 * required cells, the value sets (status, roles, booleans, dates) and the mapping of OneRoster roles
 * to Lectern's. Whether a row may be applied is for the operation and policy to say.
 */
import type { Refusal } from '../../domain/outcome.js';
import type { BatchRow } from '../../services/lectern.js';
import type { LinkKind } from '../../services/ops/oneroster.js';

export interface OneRosterFile {
  /** The file name in the export, e.g. `orgs.csv`. */
  file: string;
  /** The manifest key (`file.orgs`). */
  manifestKey: string;
  /** The link kind (and the row operation `oneroster.<kind>`). */
  kind: LinkKind;
  /** The Lectern import kind whose `import.run` check gates the file. */
  lecternKind: string;
  /** The 1.1 columns in their order; every one must be in the header. */
  columns: readonly string[];
  /** Cells that must not be empty on a row that is not being deleted. */
  required: readonly string[];
  /** Operation argument → the column it comes from, to name it in a row's reason. */
  columnOf: Record<string, string>;
  /** The column that names the parent, for files read parents first (orgs). */
  parentColumn?: string;
  /** The operation arguments of an active row (cells already checked present). */
  args(rec: Record<string, string>): Record<string, unknown> | Refusal;
}

const COMMON = ['sourcedId', 'status', 'dateLastModified'] as const;

const refuse = (field: string, message: string, code = 'invalid'): Refusal => ({ status: 'invalid', code, field, message: `${field}: ${message}` });

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** ISO 8601 as OneRoster writes dateLastModified: a date, optionally with a time and zone. */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function calendarDate(y: string, m: string, d: string): boolean {
  const dt = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return dt.getUTCFullYear() === Number(y) && dt.getUTCMonth() === Number(m) - 1 && dt.getUTCDate() === Number(d);
}

export function checkDate(field: string, v: string): Refusal | undefined {
  const m = DATE.exec(v);
  if (!m || !calendarDate(m[1]!, m[2]!, m[3]!)) return refuse(field, `'${v}' is not a calendar date (yyyy-mm-dd)`, 'format');
  return undefined;
}

export function checkDateTime(field: string, v: string): Refusal | undefined {
  const m = DATETIME.exec(v);
  if (!m || !calendarDate(m[1]!, m[2]!, m[3]!) || Number.isNaN(Date.parse(v))) return refuse(field, `'${v}' is not an ISO 8601 date and time (e.g. 2026-11-30T09:00:00Z)`, 'format');
  return undefined;
}

function bool(field: string, v: string): boolean | Refusal {
  const t = v.toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return refuse(field, `must be true or false, not '${v}'`, 'type');
}

/** A list cell: sourcedIds separated by commas. */
const list = (v: string): string[] => v.split(',').map((x) => x.trim()).filter(Boolean);

const isRefusal = (v: unknown): v is Refusal => typeof v === 'object' && v !== null && 'status' in v;

/** users.csv roles: teachers, administrators and aides teach or assist, so they are academic staff. */
const USER_ROLES = ['administrator', 'aide', 'guardian', 'parent', 'proctor', 'relative', 'student', 'teacher'] as const;
const STAFF_ROLES: readonly string[] = ['administrator', 'aide', 'teacher'];
const ENROLLMENT_ROLES = ['administrator', 'aide', 'guardian', 'parent', 'proctor', 'relative', 'student', 'teacher'] as const;

export const ORGS: OneRosterFile = {
  file: 'orgs.csv',
  manifestKey: 'file.orgs',
  kind: 'org',
  lecternKind: 'units',
  columns: [...COMMON, 'name', 'type', 'identifier', 'parentSourcedId'],
  required: ['name', 'type'],
  columnOf: { sourcedId: 'sourcedId', id: 'sourcedId', unit: 'sourcedId', name: 'name', parent: 'parentSourcedId' },
  parentColumn: 'parentSourcedId',
  args: (r) => ({ name: r.name, ...(r.parentSourcedId ? { parent: r.parentSourcedId } : {}) }),
};

export const ACADEMIC_SESSIONS: OneRosterFile = {
  file: 'academicSessions.csv',
  manifestKey: 'file.academicSessions',
  kind: 'academicSession',
  lecternKind: 'terms',
  columns: [...COMMON, 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  required: ['title', 'type', 'startDate', 'endDate', 'schoolYear'],
  columnOf: { sourcedId: 'sourcedId', id: 'sourcedId', term: 'sourcedId', name: 'title', start: 'startDate', end: 'endDate' },
  args(r) {
    const bad = checkDate('startDate', r.startDate!) ?? checkDate('endDate', r.endDate!);
    if (bad) return bad;
    return { name: r.title, start: r.startDate, end: r.endDate };
  },
};

export const COURSES: OneRosterFile = {
  file: 'courses.csv',
  manifestKey: 'file.courses',
  kind: 'course',
  lecternKind: 'courses',
  columns: [...COMMON, 'schoolYearSourcedId', 'title', 'courseCode', 'grades', 'orgSourcedId', 'subjects', 'subjectCodes'],
  required: ['title', 'orgSourcedId'],
  columnOf: { sourcedId: 'sourcedId', id: 'sourcedId', course: 'sourcedId', name: 'title', org: 'orgSourcedId', unit: 'orgSourcedId' },
  args: (r) => ({ name: r.title, org: r.orgSourcedId }),
};

export const CLASSES: OneRosterFile = {
  file: 'classes.csv',
  manifestKey: 'file.classes',
  kind: 'class',
  lecternKind: 'sections',
  columns: [...COMMON, 'title', 'grades', 'courseSourcedId', 'classCode', 'classType', 'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods'],
  required: ['title', 'courseSourcedId', 'classType', 'schoolSourcedId', 'termSourcedIds'],
  columnOf: { sourcedId: 'sourcedId', id: 'sourcedId', section: 'sourcedId', name: 'title', course: 'courseSourcedId', term: 'termSourcedIds' },
  args(r) {
    // A Lectern section runs in one term: the first the class lists.
    const terms = list(r.termSourcedIds!);
    if (terms.length === 0) return refuse('termSourcedIds', 'names no term', 'required');
    return { name: r.title, course: r.courseSourcedId, term: terms[0] };
  },
};

export const USERS: OneRosterFile = {
  file: 'users.csv',
  manifestKey: 'file.users',
  kind: 'user',
  lecternKind: 'users',
  columns: [...COMMON, 'enabledUser', 'orgSourcedIds', 'role', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password'],
  required: ['enabledUser', 'orgSourcedIds', 'role', 'username', 'givenName', 'familyName'],
  columnOf: {
    sourcedId: 'sourcedId', id: 'sourcedId', user: 'sourcedId', username: 'username', email: 'email', firstName: 'givenName', lastName: 'familyName',
    orgs: 'orgSourcedIds', scope: 'orgSourcedIds', active: 'enabledUser', role: 'role',
  },
  args(r) {
    const role = r.role!.toLowerCase();
    if (!(USER_ROLES as readonly string[]).includes(role)) return refuse('role', `must be one of ${USER_ROLES.join(', ')}, not '${r.role}'`, 'enum');
    const active = bool('enabledUser', r.enabledUser!);
    if (isRefusal(active)) return active;
    // The password column is never read: Lectern users sign in through their institution or set one.
    return {
      username: r.username,
      ...(r.email ? { email: r.email } : {}),
      firstName: r.givenName,
      lastName: r.familyName,
      active,
      staff: STAFF_ROLES.includes(role),
      orgs: list(r.orgSourcedIds!),
    };
  },
};

export const ENROLLMENTS: OneRosterFile = {
  file: 'enrollments.csv',
  manifestKey: 'file.enrollments',
  kind: 'enrollment',
  lecternKind: 'enrollments',
  columns: [...COMMON, 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role', 'primary', 'beginDate', 'endDate'],
  required: ['classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role'],
  columnOf: { sourcedId: 'sourcedId', class: 'classSourcedId', section: 'classSourcedId', user: 'userSourcedId', role: 'role' },
  args(r) {
    const role = r.role!.toLowerCase();
    if (!(ENROLLMENT_ROLES as readonly string[]).includes(role)) return refuse('role', `must be one of ${ENROLLMENT_ROLES.join(', ')}, not '${r.role}'`, 'enum');
    const primary = r.primary ? bool('primary', r.primary) : false;
    if (isRefusal(primary)) return primary;
    for (const c of ['beginDate', 'endDate'] as const) {
      const bad = r[c] ? checkDate(c, r[c]) : undefined;
      if (bad) return bad;
    }
    const lectern = role === 'teacher' ? (primary ? 'instructor' : 'teaching_assistant') : role === 'aide' ? 'teaching_assistant' : role === 'student' ? 'student' : undefined;
    if (!lectern) return refuse('role', `'${role}' has no section role in Lectern (teacher, aide and student enrollments are imported)`, 'enum');
    return { class: r.classSourcedId, user: r.userSourcedId, role: lectern };
  },
};

/** The files in the order they are applied: what a row refers to comes before it. */
export const FILES: readonly OneRosterFile[] = [ORGS, ACADEMIC_SESSIONS, COURSES, CLASSES, USERS, ENROLLMENTS];

/**
 * One record of a file as a row: the operation and its arguments, or a refusal naming the column.
 * `delta` makes status and dateLastModified required (a bulk file may leave them empty).
 */
export function toRow(f: OneRosterFile, rec: Record<string, string>, line: number, delta: boolean): BatchRow & { remove?: boolean } {
  const op = `oneroster.${f.kind}`;
  const no = (r: Refusal) => ({ line, refusal: r });
  if (!rec.sourcedId) return no(refuse('sourcedId', 'is required', 'required'));
  const status = rec.status!.toLowerCase();
  if (status === '' && delta) return no(refuse('status', 'is required in a delta file (active or tobedeleted)', 'required'));
  if (status !== '' && status !== 'active' && status !== 'tobedeleted') return no(refuse('status', `must be active or tobedeleted, not '${rec.status}'`, 'enum'));
  if (rec.dateLastModified === '' && delta) return no(refuse('dateLastModified', 'is required in a delta file', 'required'));
  if (rec.dateLastModified) {
    const bad = checkDateTime('dateLastModified', rec.dateLastModified);
    if (bad) return no(bad);
  }
  if (status === 'tobedeleted') return { line, op, args: { sourcedId: rec.sourcedId, remove: true }, remove: true };
  for (const c of f.required) if (!rec[c]) return no(refuse(c, 'is required', 'required'));
  const args = f.args(rec);
  if (isRefusal(args)) return no(args);
  return { line, op, args: { sourcedId: rec.sourcedId, ...args } };
}
