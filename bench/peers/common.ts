/**
 * What every peer shares: the media checks of the workload, the relationships read from the same
 * rows (the data each peer loads, or that a caller would look up and send), timing and memory.
 *
 * The rules the peers encode (SPEC §7, restricted to what they can express):
 *   media.view — the owner; anyone enrolled in a section where it is published, in any role but
 *     guest presenter; an admin or AV technician of a unit containing that section (a system admin
 *     counts as admin of the root); a member of a collection holding it.
 *   media.download — the owner; an instructor or TA of such a section; admins and AV technicians as
 *     above; a collection member whose level carries `download` (contributor, editor, manager); a
 *     student or student presenter of such a section when its effective `downloads` toggle is `on`
 *     (or `audioOnly` and the format is audio) and, if `downloadsTermActiveOnly` is on, the check's
 *     day lies in the section's term.
 * The toggles' effective values (walk from the root, the first lock wins, else the lowest level)
 * are resolved here, by the caller, because no peer can express the lock walk; each peer then sees
 * a per-section value.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Workload } from '../workload.js';
import type { CheckSpec } from '../workload.js';

export type Role = 'instructor' | 'teaching_assistant' | 'student' | 'student_presenter' | 'guest_presenter';
export type DownloadMode = 'on' | 'off' | 'audioOnly';

export interface SectionFacts {
  unit: string;
  /** The section's unit and its ancestors, nearest first. */
  units: string[];
  term: { start: string; end: string } | undefined;
  downloads: DownloadMode;
  termOnly: boolean;
}

/** The relationships of the workload, as plain Maps (what a caller of a stateless peer looks up). */
export interface Facts {
  root: string;
  unitParent: Map<string, string | null>;
  sections: Map<string, SectionFacts>;
  mediaOwner: Map<string, string>;
  mediaSections: Map<string, string[]>;
  mediaCollections: Map<string, string[]>;
  /** user → section → role */
  enrollments: Map<string, Map<string, Role>>;
  /** user → units where they are admin (a system admin: the root) */
  adminUnits: Map<string, string[]>;
  avUnits: Map<string, string[]>;
  /** user → collection → level */
  memberships: Map<string, Map<string, string>>;
  collectionMedia: Map<string, string[]>;
  studentLibrary: boolean;
}

export const DOWNLOAD_LEVELS = new Set(['contributor', 'editor', 'manager']);
export const isTeacher = (r: Role | undefined): boolean => r === 'instructor' || r === 'teaching_assistant';
export const isLearner = (r: Role | undefined): boolean => r === 'student' || r === 'student_presenter';

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const xs = m.get(k);
  if (xs) xs.push(v);
  else m.set(k, [v]);
};

export function buildFacts(w: Workload): Facts {
  const unitParent = new Map<string, string | null>();
  const courseUnit = new Map<string, string>();
  const terms = new Map<string, { start: string; end: string }>();
  const sectionRaw = new Map<string, { course: string; term: string }>();
  const classSection = new Map<string, string>();
  const settings: { scopeType: string; scopeId: string; key: string; value: string; locked: boolean }[] = [];
  const f: Facts = {
    root: w.institutionId,
    unitParent,
    sections: new Map(),
    mediaOwner: new Map(),
    mediaSections: new Map(),
    mediaCollections: new Map(),
    enrollments: new Map(),
    adminUnits: new Map(),
    avUnits: new Map(),
    memberships: new Map(),
    collectionMedia: new Map(),
    studentLibrary: true,
  };
  for (const c of w.rows) {
    const r = c.row as unknown as Record<string, string | boolean | null>;
    const s = (k: string) => String(r[k]);
    switch (c.table) {
      case 'institution':
        f.studentLibrary = r.studentLibrary !== false;
        break;
      case 'unit':
        unitParent.set(s('id'), (r.parentId as string | null) ?? null);
        break;
      case 'term':
        terms.set(s('id'), { start: s('startDate'), end: s('endDate') });
        break;
      case 'course':
        courseUnit.set(s('id'), s('unitId'));
        break;
      case 'section':
        sectionRaw.set(s('id'), { course: s('courseId'), term: s('termId') });
        break;
      case 'class':
        classSection.set(s('id'), s('sectionId'));
        break;
      case 'enrollment': {
        let m = f.enrollments.get(s('userId'));
        if (!m) f.enrollments.set(s('userId'), (m = new Map()));
        m.set(s('sectionId'), s('role') as Role);
        break;
      }
      case 'media':
        f.mediaOwner.set(s('id'), s('ownerId'));
        break;
      case 'publication': {
        const sec = classSection.get(s('classId'));
        if (sec && !f.mediaSections.get(s('mediaId'))?.includes(sec)) push(f.mediaSections, s('mediaId'), sec);
        break;
      }
      case 'roleGrant':
        if (r.role === 'system_admin') push(f.adminUnits, s('userId'), w.institutionId);
        else if (r.role === 'admin' && r.scopeType === 'unit') push(f.adminUnits, s('userId'), s('scopeId'));
        else if (r.role === 'av_technician' && r.scopeType === 'unit') push(f.avUnits, s('userId'), s('scopeId'));
        break;
      case 'collectionMember': {
        let m = f.memberships.get(s('userId'));
        if (!m) f.memberships.set(s('userId'), (m = new Map()));
        m.set(s('collectionId'), s('level'));
        break;
      }
      case 'collectionMedia':
        if (!f.collectionMedia.get(s('collectionId'))?.includes(s('mediaId'))) {
          push(f.collectionMedia, s('collectionId'), s('mediaId'));
          push(f.mediaCollections, s('mediaId'), s('collectionId'));
        }
        break;
      case 'setting':
        settings.push({ scopeType: s('scopeType'), scopeId: s('scopeId'), key: s('key'), value: s('value'), locked: r.allowsOverride === false });
        break;
    }
  }
  const chain = (unit: string): string[] => {
    const out: string[] = [];
    for (let u: string | null | undefined = unit; u; u = unitParent.get(u)) out.push(u);
    return out;
  };
  const at = new Map<string, Map<string, { value: string; locked: boolean }>>();
  for (const x of settings) {
    const scope = x.scopeType === 'section' ? `section:${x.scopeId}` : x.scopeId;
    let m = at.get(scope);
    if (!m) at.set(scope, (m = new Map()));
    m.set(x.key, x);
  }
  // The lock walk, from the root down to the section itself.
  const effective = (path: string[], key: string, dflt: string): string => {
    let v = dflt;
    for (const scope of path) {
      const s = at.get(scope)?.get(key);
      if (!s) continue;
      if (s.locked) return s.value;
      v = s.value;
    }
    return v;
  };
  for (const [id, raw] of sectionRaw) {
    const unit = courseUnit.get(raw.course)!;
    const units = chain(unit);
    const path = [...units].reverse().concat(`section:${id}`);
    const termOnly = effective(path, 'downloadsTermActiveOnly', 'off');
    f.sections.set(id, {
      unit,
      units,
      term: terms.get(raw.term),
      downloads: effective(path, 'downloads', 'on') as DownloadMode,
      termOnly: termOnly === 'on' || termOnly === 'true',
    });
  }
  return f;
}

/** A media check, parsed: who, which media, view or download, the format and the UTC day. */
export interface MediaCheck {
  user: string;
  media: string;
  action: 'view' | 'download';
  format: 'audio' | 'video';
  day: string;
  /** The same check in Lectern's terms. */
  spec: CheckSpec;
}

export function mediaChecks(checks: CheckSpec[]): MediaCheck[] {
  const out: MediaCheck[] = [];
  for (const c of checks) {
    if (c.action !== 'media.view' && c.action !== 'media.download') continue;
    const at = typeof c.context?.at === 'string' ? c.context.at : new Date().toISOString();
    out.push({
      user: c.user,
      media: c.resource.slice('media:'.length),
      action: c.action === 'media.view' ? 'view' : 'download',
      format: c.context?.format === 'audio' ? 'audio' : 'video',
      day: at.slice(0, 10),
      spec: c,
    });
  }
  return out;
}

// ---- timing and memory ----

let gcFn: (() => void) | undefined;
export function gc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

export interface Memory {
  heapMB: number;
  rssMB: number;
  note?: string;
}

/** Times `load` and the memory it leaves behind (heap and RSS deltas after a full GC). */
export async function loadMeasured<T>(load: () => T | Promise<T>): Promise<{ value: T; loadMs: number; memory: Memory }> {
  gc();
  const m0 = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const value = await load();
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  gc();
  const m1 = process.memoryUsage();
  return { value, loadMs, memory: { heapMB: mb(m1.heapUsed - m0.heapUsed), rssMB: mb(m1.rss - m0.rss) } };
}

export interface Throughput {
  checks: number;
  allowed: number;
  perSecond: number;
  p50us: number;
  p99us: number;
  /** Decisions per request where a request carries several. */
  perRequest?: number;
  concurrency?: number;
}

function summarise(lat: Float64Array, totalMs: number, decisions: number, allowed: number): Throughput {
  lat.sort();
  const pct = (p: number) => +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2);
  return { checks: decisions, allowed, perSecond: Math.round(decisions / (totalMs / 1000)), p50us: pct(0.5), p99us: pct(0.99) };
}

/** Serial, synchronous: warm up on a tenth, then time each check. Decisions come back in order. */
export function measureSync<C>(checks: C[], ask: (c: C) => boolean): { result: Throughput; decisions: boolean[] } {
  for (let i = 0; i < Math.min(10_000, Math.floor(checks.length / 10)); i++) ask(checks[i]!);
  const lat = new Float64Array(checks.length);
  const decisions = new Array<boolean>(checks.length);
  let allowed = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < checks.length; i++) {
    const a = process.hrtime.bigint();
    const d = ask(checks[i]!);
    lat[i] = Number(process.hrtime.bigint() - a) / 1000;
    decisions[i] = d;
    if (d) allowed++;
  }
  return { result: summarise(lat, Number(process.hrtime.bigint() - t0) / 1e6, checks.length, allowed), decisions };
}

/**
 * Asynchronous, with `concurrency` requests in flight (1: serial). Each request answers
 * `perRequest` checks; latency is per request.
 */
export async function measureAsync<C>(checks: C[], ask: (batch: C[]) => Promise<boolean[]>, opts: { concurrency?: number; perRequest?: number; warmup?: number } = {}): Promise<{ result: Throughput; decisions: boolean[] }> {
  const conc = opts.concurrency ?? 1;
  const per = opts.perRequest ?? 1;
  const batches: C[][] = [];
  for (let i = 0; i < checks.length; i += per) batches.push(checks.slice(i, i + per));
  const warm = Math.min(opts.warmup ?? 50, Math.floor(batches.length / 10));
  for (let i = 0; i < warm; i++) await ask(batches[i]!);
  const lat = new Float64Array(batches.length);
  const decisions = new Array<boolean>(checks.length);
  let allowed = 0;
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= batches.length) return;
      const a = process.hrtime.bigint();
      const ds = await ask(batches[i]!);
      lat[i] = Number(process.hrtime.bigint() - a) / 1000;
      ds.forEach((d, k) => {
        decisions[i * per + k] = d;
        if (d) allowed++;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, batches.length) }, worker));
  const r = summarise(lat, Number(process.hrtime.bigint() - t0) / 1e6, checks.length, allowed);
  return { result: { ...r, ...(per > 1 ? { perRequest: per } : {}), ...(conc > 1 ? { concurrency: conc } : {}) }, decisions };
}

/** Agreement with Lectern, and the disagreements grouped by a class the caller names. */
export function agreement<C>(checks: C[], peer: boolean[], lectern: boolean[], classify: (c: C, peer: boolean) => string): { rate: number; compared: number; disagreements: Record<string, number> } {
  let agree = 0;
  const classes: Record<string, number> = {};
  for (let i = 0; i < checks.length; i++) {
    if (peer[i] === lectern[i]) agree++;
    else {
      const k = classify(checks[i]!, peer[i]!);
      classes[k] = (classes[k] ?? 0) + 1;
    }
  }
  return { rate: checks.length ? +(agree / checks.length).toFixed(6) : 1, compared: checks.length, disagreements: classes };
}
