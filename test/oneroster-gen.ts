/**
 * A generated OneRoster 1.1 CSV export of a school district, for the tests and the benchmark:
 * a district org, regions below it and schools below those (written children first, so the import
 * must order them), a school year with two semesters, courses and classes at the schools, teachers
 * and students, and each class with one primary teacher, sometimes a second teacher, and students.
 * Everything is derived from the sizes, so two exports of the same sizes are the same files.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import yazl from 'yazl';

export interface DistrictSize {
  orgs: number;
  users: number;
  classes: number;
  enrollments: number;
}

export const DISTRICT: DistrictSize = { orgs: 200, users: 50_000, classes: 5_000, enrollments: 250_000 };

export const HEADERS = {
  'orgs.csv': 'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId',
  'academicSessions.csv': 'sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear',
  'courses.csv': 'sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes',
  'classes.csv': 'sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods',
  'users.csv': 'sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password',
  'enrollments.csv': 'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate',
} as const;

export type FileName = keyof typeof HEADERS;

export function manifest(modes: Partial<Record<FileName, 'bulk' | 'delta'>>): string {
  const keys = ['academicSessions', 'categories', 'classes', 'classResources', 'courses', 'courseResources', 'demographics', 'enrollments', 'lineItems', 'orgs', 'resources', 'results', 'users'];
  const lines = ['propertyName,value', 'manifest.version,1.0', 'oneroster.version,1.1'];
  for (const k of keys) lines.push(`file.${k},${modes[`${k}.csv` as FileName] ?? 'absent'}`);
  lines.push('source.systemName,Generated SIS', 'source.systemCode,gen');
  return lines.join('\r\n') + '\r\n';
}

/** The shape of the district, by index: which school each class, course, teacher belongs to. */
export function district(size: DistrictSize) {
  const regions = Math.max(1, Math.round(Math.sqrt(size.orgs - 1) / 2));
  const schools = Math.max(1, size.orgs - 1 - regions);
  const teachers = Math.max(schools, Math.round(size.users / 10));
  const students = size.users - teachers;
  const courses = Math.max(1, Math.round(size.classes / 5));
  const perClass = Math.max(2, Math.round(size.enrollments / size.classes));
  return {
    regions, schools, teachers, students, courses, perClass,
    schoolOfCourse: (c: number) => c % schools,
    courseOfClass: (k: number) => k % courses,
    schoolOfClass: (k: number) => (k % courses) % schools,
    schoolOfTeacher: (t: number) => t % schools,
    /** A teacher of the class's school, different for each class of the school. */
    teacherOfClass: (k: number) => {
      const s = (k % courses) % schools;
      const perSchool = Math.floor((teachers - 1 - s) / schools) + 1;
      return s + schools * (Math.floor(k / courses) % perSchool);
    },
  };
}

const T0 = '2026-08-01T00:00:00Z';

/** Each file's data lines (no header), for a district of the given size. */
export function* lines(name: FileName, size: DistrictSize): Generator<string> {
  const d = district(size);
  switch (name) {
    case 'orgs.csv':
      // Children first: the import must put parents before them.
      for (let s = d.schools - 1; s >= 0; s--) yield `sch-${s},,,School ${s},school,S${s},reg-${s % d.regions}`;
      for (let r = 0; r < d.regions; r++) yield `reg-${r},,,Region ${r},local,R${r},dist`;
      yield `dist,,,Generated District,district,D,`;
      return;
    case 'academicSessions.csv':
      yield `sy2026,,,2026-27,schoolYear,2026-08-01,2027-06-30,,2027`;
      yield `fall2026,,,Fall 2026,semester,2026-08-01,2026-12-20,sy2026,2027`;
      yield `spring2027,,,Spring 2027,semester,2027-01-05,2027-06-30,sy2026,2027`;
      return;
    case 'courses.csv':
      for (let c = 0; c < d.courses; c++) yield `crs-${c},,,sy2026,Course ${c},C${c},09,sch-${d.schoolOfCourse(c)},Math,`;
      return;
    case 'classes.csv':
      for (let k = 0; k < size.classes; k++) yield `cls-${k},,,Class ${k},09,crs-${d.courseOfClass(k)},K${k},scheduled,Room ${k % 40},sch-${d.schoolOfClass(k)},${k % 2 ? 'spring2027' : 'fall2026'},Math,,1`;
      return;
    case 'users.csv':
      for (let t = 0; t < d.teachers; t++) yield `tch-${t},,,true,sch-${d.schoolOfTeacher(t)},teacher,teacher${t},,Teacher,T${t},,T${t},teacher${t}@district.example,,,,,`;
      for (let s = 0; s < d.students; s++) yield `stu-${s},,,true,sch-${s % d.schools},student,student${s},,Student,S${s},,S${s},student${s}@district.example,,,,09,`;
      return;
    case 'enrollments.csv': {
      let n = 0;
      for (let k = 0; k < size.classes && n < size.enrollments; k++) {
        const school = d.schoolOfClass(k);
        yield `enr-${k}-t,,,cls-${k},sch-${school},tch-${d.teacherOfClass(k)},teacher,true,,`;
        n++;
        for (let i = 1; i < d.perClass && n < size.enrollments; i++, n++) {
          const s = (k * 7 + i * 131) % d.students;
          yield `enr-${k}-${i},,,cls-${k},sch-${school},stu-${s},student,false,,`;
        }
      }
      return;
    }
  }
}

const FILE_NAMES = Object.keys(HEADERS) as FileName[];

/** Writes a bulk export of the district into `dir` (created). */
export async function writeDistrict(dir: string, size: DistrictSize): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeText(join(dir, 'manifest.csv'), [manifest(Object.fromEntries(FILE_NAMES.map((f) => [f, 'bulk'])))]);
  for (const f of FILE_NAMES) await writeText(join(dir, f), withHeader(f, lines(f, size)));
}

export function* withHeader(f: FileName, body: Iterable<string>): Generator<string> {
  yield HEADERS[f] + '\r\n';
  let chunk = '';
  for (const l of body) {
    chunk += l + '\r\n';
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

export async function writeText(path: string, chunks: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const c of chunks) if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** A zip of named files (contents given whole), in memory. */
export async function zipOf(files: Record<string, string>, folder = ''): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), folder + name);
  zip.end();
  const parts: Buffer[] = [];
  for await (const b of zip.outputStream as AsyncIterable<Buffer>) parts.push(b);
  return Buffer.concat(parts);
}

/** A delta export: `users` and `enrollments` rows only, with status and dateLastModified. */
export function deltaFiles(users: string[], enrollments: string[]): Record<string, string> {
  return {
    'manifest.csv': manifest({ 'users.csv': 'delta', 'enrollments.csv': 'delta' }),
    'users.csv': [HEADERS['users.csv'], ...users].join('\r\n') + '\r\n',
    'enrollments.csv': [HEADERS['enrollments.csv'], ...enrollments].join('\r\n') + '\r\n',
  };
}

/** A delta of a district: every 100th student renamed, the first student of every other class unenrolled. */
export function districtDelta(size: DistrictSize): { users: string[]; enrollments: string[] } {
  const d = district(size);
  const users: string[] = [];
  const enrollments: string[] = [];
  for (let s = 0; s < d.students; s += 100) users.push(`stu-${s},active,${T0},true,sch-${s % d.schools},student,student${s},,Renamed,S${s},,S${s},student${s}@district.example,,,,10,`);
  for (let k = 0; k < size.classes; k += 2) enrollments.push(`enr-${k}-1,tobedeleted,${T0},,,,,,,`);
  return { users, enrollments };
}

export { T0 };
