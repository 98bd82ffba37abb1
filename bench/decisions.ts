/**
 * In-process decisions on the performance workload: the world's cold build, its memory, and
 * throughput and latency of a million checks, beside a plain-Map floor that answers the same
 * questions with the minimal lookups and no policy (so Lectern's overhead is a ratio).
 *   npm run bench -- --only decisions [--scale 0.05]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { type Principal } from '../src/policy/index.js';
// Checks enter through services/agree.ts (Lectern.check), which hands non-operation actions to policy.
import { judge } from '../src/services/agree.js';
import { World } from '../src/world/world.js';
import type { BenchOptions } from './run.js';
import { generateChecks, generateWorkload, type CheckSpec, type Workload } from './workload.js';

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function mb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The floor: plain Maps built from the same rows, the fewest lookups each decision needs. */
export function buildFloor(w: Workload) {
  const classSection = new Map<string, string>();
  const sectionUnit = new Map<string, string>();
  const courseUnit = new Map<string, string>();
  const sectionTerm = new Map<string, string>();
  const termDates = new Map<string, [string, string]>();
  const mediaOwner = new Map<string, string>();
  const mediaSection = new Map<string, string>();
  const enrolled = new Map<string, string>();
  const adminUnits = new Map<string, string[]>();
  const customUnit = new Map<string, { unit?: string; section?: string; actions: Set<string> }[]>();
  const customActions = new Map<string, Set<string>>();
  const parent = new Map<string, string | null>();
  const unitSettings = new Map<string, Map<string, { value: string; locked: boolean }>>();
  for (const c of w.rows) {
    const r = c.row as unknown as Record<string, string>;
    switch (c.table) {
      case 'unit':
        parent.set(r.id!, r.parentId ?? null);
        break;
      case 'course':
        courseUnit.set(r.id!, r.unitId!);
        break;
      case 'section':
        sectionUnit.set(r.id!, courseUnit.get(r.courseId!)!);
        sectionTerm.set(r.id!, r.termId!);
        break;
      case 'term':
        termDates.set(r.id!, [r.startDate!, r.endDate!]);
        break;
      case 'class':
        classSection.set(r.id!, r.sectionId!);
        break;
      case 'enrollment':
        enrolled.set(r.userId + '\u0000' + r.sectionId, r.role!);
        break;
      case 'media':
        mediaOwner.set(r.id!, r.ownerId!);
        break;
      case 'publication':
        mediaSection.set(r.mediaId!, classSection.get(r.classId!)!);
        break;
      case 'roleGrant':
        if (r.role === 'admin' && r.scopeType === 'unit') adminUnits.set(r.userId!, [...(adminUnits.get(r.userId!) ?? []), r.scopeId!]);
        break;
      case 'customRole':
        customActions.set(r.id!, new Set((JSON.parse(r.capabilities!) as { action: string }[]).map((c) => c.action)));
        break;
      case 'customRoleGrant': {
        const g = { ...(r.scopeType === 'unit' ? { unit: r.scopeId! } : { section: r.scopeId! }), actions: customActions.get(r.roleId!)! };
        customUnit.set(r.userId!, [...(customUnit.get(r.userId!) ?? []), g]);
        break;
      }
      case 'setting': {
        let m = unitSettings.get(r.scopeId!);
        if (!m) unitSettings.set(r.scopeId!, (m = new Map()));
        m.set(r.key!, { value: r.value!, locked: !(c.row as { allowsOverride: boolean }).allowsOverride });
        break;
      }
    }
  }
  // Ancestors of each unit, and each section's effective downloads value, precomputed.
  const ancestors = new Map<string, Set<string>>();
  for (const u of parent.keys()) {
    const set = new Set<string>();
    for (let x: string | null | undefined = u; x; x = parent.get(x)) set.add(x);
    ancestors.set(u, set);
  }
  const effective = (unit: string, key: string, dflt: string): string => {
    const path = [...ancestors.get(unit)!].reverse();
    let v = dflt;
    for (const u of path) {
      const s = unitSettings.get(u)?.get(key);
      if (!s) continue;
      if (s.locked) return s.value;
      v = s.value;
    }
    return v;
  };
  const downloads = new Map<string, string>();
  for (const [s, unit] of sectionUnit) downloads.set(s, effective(unit, 'downloads', 'on'));
  const adminOver = (user: string, unit: string): boolean => {
    const a = adminUnits.get(user);
    if (!a) return false;
    const anc = ancestors.get(unit)!;
    for (const x of a) if (anc.has(x)) return true;
    return false;
  };
  const viaCustom = (user: string, action: string, section: string): boolean => {
    const gs = customUnit.get(user);
    if (!gs) return false;
    for (const g of gs) if (g.actions.has(action) && (g.section === section || (g.unit !== undefined && ancestors.get(sectionUnit.get(section)!)!.has(g.unit)))) return true;
    return false;
  };
  return (c: CheckSpec): boolean => {
    const [type, id] = [c.resource.slice(0, c.resource.indexOf(':')), c.resource.slice(c.resource.indexOf(':') + 1)];
    if (type === 'media') {
      const section = mediaSection.get(id)!;
      if (adminOver(c.user, sectionUnit.get(section)!)) return true;
      if (c.action === 'media.editTranscripts') return mediaOwner.get(id) === c.user || viaCustom(c.user, c.action, section);
      if (mediaOwner.get(id) === c.user) return true;
      const role = enrolled.get(c.user + '\u0000' + section);
      if (c.action === 'media.view') return role !== undefined || viaCustom(c.user, c.action, section);
      if (role === 'instructor' || role === 'teaching_assistant') return true;
      if (role !== 'student') return false;
      const d = downloads.get(section)!;
      if (d === 'off' || (d === 'audioOnly' && c.context?.format !== 'audio')) return false;
      const [start, end] = termDates.get(sectionTerm.get(section)!)!;
      const day = String(c.context?.at).slice(0, 10);
      return day >= start && day <= end;
    }
    if (type === 'section') {
      if (adminOver(c.user, sectionUnit.get(id)!)) return true;
      if (c.action === 'section.view') return enrolled.has(c.user + '\u0000' + id) || viaCustom(c.user, c.action, id);
      const role = enrolled.get(c.user + '\u0000' + id);
      return role === 'instructor' || (role === 'teaching_assistant' && c.action !== 'section.settings');
    }
    return adminOver(c.user, type === 'unit' ? id : w.institutionId);
  };
}

type Measured = ReturnType<typeof measureTogether>[number];

/**
 * Custom-role holders (docs/ROLES.md) in the mix: a captioning assistant role (media.view,
 * media.editTranscripts) held at units, an exam monitor role (section.view, media.view) held at
 * sections, granted to about 2% of students; their checks are 5% of the run. Rows go into the
 * workload before the world is built, and the floor learns them too.
 */
export function addCustomRoles(wl: Workload, checks: CheckSpec[], seed = 21): { holders: number; checks: number } {
  let x = seed >>> 0;
  const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const inst = wl.institutionId;
  const role = (id: string, name: string, scopeKind: 'unit' | 'section', caps: string[]) =>
    wl.rows.push({ table: 'customRole', op: 'put', row: { institutionId: inst, id, name, description: '', scopeKind, unitId: inst, capabilities: JSON.stringify(caps.map((action) => ({ action }))) } });
  role('captioning_assistant', 'Captioning assistant', 'unit', ['media.view', 'media.editTranscripts']);
  role('exam_monitor', 'Exam monitor', 'section', ['section.view', 'media.view']);
  const holders: { user: string; unit?: string; section?: string }[] = [];
  const count = Math.max(10, Math.round(wl.students.length * 0.02));
  for (let i = 0; i < count; i++) {
    const user = pick(wl.students);
    if (i % 2 === 0) {
      const unit = pick(wl.units);
      holders.push({ user, unit });
      wl.rows.push({ table: 'customRoleGrant', op: 'put', row: { institutionId: inst, userId: user, roleId: 'captioning_assistant', scopeType: 'unit', scopeId: unit } });
    } else {
      const section = pick(wl.sections);
      holders.push({ user, section });
      wl.rows.push({ table: 'customRoleGrant', op: 'put', row: { institutionId: inst, userId: user, roleId: 'exam_monitor', scopeType: 'section', scopeId: section } });
    }
  }
  // Replace one check in twenty with a holder's: their media, transcripts, downloads (never theirs) and sections.
  const bySection = new Map<string, string[]>();
  for (const [m, s] of wl.mediaSection) {
    let l = bySection.get(s);
    if (!l) bySection.set(s, (l = []));
    if (l.length < 8) l.push(m);
  }
  let replaced = 0;
  for (let i = 0; i < checks.length; i += 20) {
    const h = pick(holders);
    const section = h.section ?? pick(wl.sections);
    const media = pick(bySection.get(section) ?? wl.media);
    const k = rand();
    checks[i] =
      k < 0.5 ? { user: h.user, action: 'media.view', resource: `media:${media}` }
      : k < 0.75 ? { user: h.user, action: 'media.editTranscripts', resource: `media:${media}` }
      : k < 0.9 ? { user: h.user, action: 'media.download', resource: `media:${media}`, context: { format: 'video', at: '2026-10-15T10:00:00Z' } }
      : { user: h.user, action: 'section.view', resource: `section:${section}` };
    replaced++;
  }
  return { holders: holders.length, checks: replaced };
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/**
 * Times each engine on every check, the engines taking turns chunk by chunk (so on a shared,
 * loaded machine each sees the same conditions, as bench/http.ts alternates floor and Lectern).
 */
function measureTogether<C extends CheckSpec>(checks: C[], asks: ((c: C) => boolean)[]) {
  // Warm up every engine first.
  for (const ask of asks) for (let i = 0; i < Math.min(50_000, checks.length); i++) ask(checks[i]!);
  const lat = asks.map(() => new Float64Array(checks.length));
  const allowed = asks.map(() => 0);
  const totalNs = asks.map(() => 0);
  const CHUNK = 5_000;
  for (let from = 0; from < checks.length; from += CHUNK) {
    const to = Math.min(checks.length, from + CHUNK);
    asks.forEach((ask, e) => {
      const l = lat[e]!;
      const t0 = process.hrtime.bigint();
      for (let i = from; i < to; i++) {
        const a = process.hrtime.bigint();
        if (ask(checks[i]!)) allowed[e]!++;
        l[i] = Number(process.hrtime.bigint() - a) / 1000;
      }
      totalNs[e]! += Number(process.hrtime.bigint() - t0);
    });
  }
  return asks.map((_, e) => {
    const l = lat[e]!.sort();
    return {
      checks: checks.length,
      allowed: allowed[e]!,
      perSecond: Math.round(checks.length / (totalNs[e]! / 1e9)),
      p50us: +percentile(l, 0.5).toFixed(2),
      p99us: +percentile(l, 0.99).toFixed(2),
      p999us: +percentile(l, 0.999).toFixed(2),
    };
  });
}

export async function run(opts: BenchOptions): Promise<unknown> {
  const scale = opts.scale;
  const wl = generateWorkload(scale);
  const checks = generateChecks(wl, Math.max(20_000, Math.round(1_000_000 * Math.min(1, scale * 4))));
  const custom = addCustomRoles(wl, checks);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let world!: World;
  const buildMs = time(() => {
    world = World.build(wl.institutionId, 1, wl.rows);
  });
  gc();
  const heapWorld = process.memoryUsage().heapUsed - heapBefore;
  const enrollments = wl.counts.enrollment ?? 0;
  const floorAsk = buildFloor(wl);
  const principals = new Map<string, Principal>();
  const principal = (u: string): Principal => {
    let p = principals.get(u);
    if (!p) principals.set(u, (p = { kind: 'user', institutionId: wl.institutionId, userId: u, systemAdmin: world.holds(u, 'system_admin') }));
    return p;
  };
  // Each check's principal is made before timing: a caller holds its principal (a service its own,
  // the API the one its token named), as the floor is handed its user id; looking it up is the harness's.
  const asked = checks.map((c) => ({ ...c, principal: principal(c.user) }));
  const [lectern, explained, floor] = measureTogether(asked, [
    (c) => judge(world, c.principal, c.action, c.resource, c.context, { explain: false }).allow,
    (c) => judge(world, c.principal, c.action, c.resource, c.context).allow,
    floorAsk,
  ]) as [Measured, Measured, Measured];
  let agree = 0;
  for (const c of checks) if (judge(world, principal(c.user), c.action, c.resource, c.context).allow === floorAsk(c)) agree++;
  const result = {
    date: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    scale,
    counts: wl.counts,
    world: { coldBuildMs: Math.round(buildMs), heapMB: mb(heapWorld), rssMB: mb(process.memoryUsage().rss), bytesPerEnrollmentEquivalent: enrollments ? Math.round(heapWorld / enrollments) : null },
    lectern,
    explained,
    floor,
    ratio: { p50: +(lectern.p50us / floor.p50us).toFixed(2), p99: +(lectern.p99us / floor.p99us).toFixed(2), throughput: +(floor.perSecond / lectern.perSecond).toFixed(2) },
    agreementWithFloor: +(agree / checks.length).toFixed(4),
    customRoles: { holders: custom.holders, checks: custom.checks },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/decisions.json', JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# In-process decisions (scale ${scale}, ${result.date.slice(0, 10)}, ${result.machine})`,
    '',
    `World: ${Object.entries(wl.counts).map(([k, v]) => `${v.toLocaleString('en')} ${k}`).join(', ')}; ${custom.holders} custom-role holders, whose checks are ${custom.checks.toLocaleString('en')} of the run.`,
    `Cold build ${result.world.coldBuildMs} ms; world heap ${result.world.heapMB} MB (${result.world.bytesPerEnrollmentEquivalent} bytes per enrollment); RSS ${result.world.rssMB} MB.`,
    '',
    '| engine | checks | checks/s | p50 µs | p99 µs | p99.9 µs |',
    '|---|---|---|---|---|---|',
    `| Lectern decide | ${lectern.checks} | ${lectern.perSecond.toLocaleString('en')} | ${lectern.p50us} | ${lectern.p99us} | ${lectern.p999us} |`,
    `| Lectern decide, with reasons | ${explained.checks} | ${explained.perSecond.toLocaleString('en')} | ${explained.p50us} | ${explained.p99us} | ${explained.p999us} |`,
    `| plain-Map floor | ${floor.checks} | ${floor.perSecond.toLocaleString('en')} | ${floor.p50us} | ${floor.p99us} | ${floor.p999us} |`,
    '',
    `Lectern / floor: p50 ×${result.ratio.p50}, p99 ×${result.ratio.p99}, throughput ÷${result.ratio.throughput}. The floor agrees with Lectern on ${(result.agreementWithFloor * 100).toFixed(2)}% of decisions (it knows no collections, AV technicians, toggles other than downloads, or locks).`,
    '',
  ].join('\n');
  writeFileSync('bench/results/decisions.md', md);
  console.log(md);
  return result;
}
