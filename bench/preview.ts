/**
 * The impact preview (issue 21, docs/PREVIEW.md) on the performance workload (bench/workload.ts:
 * at scale 1, 100,000 users, 20 faculties of 1,000 sections and 10,000 media each): how long
 * "what would change?" takes for a toggle at a faculty (the goal: at most 2 s at scale 1), a lock
 * there, a role grant, a department moved to another faculty and delegated administration turned
 * off — each previewed by an admin of the root, three times (the first one cold).
 *   npm run bench -- --only preview [--scale 0.05]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { effective, type Principal } from '../src/policy/index.js';
import { operationNamed } from '../src/services/lectern.js';
import { preview, type PreviewResult } from '../src/services/preview.js';
import { World } from '../src/world/world.js';
import type { BenchOptions } from './run.js';
import { generateWorkload } from './workload.js';

const GOAL_MS = 2000;
const REPEAT = 3;

interface Case {
  name: string;
  op: string;
  args: Record<string, unknown>;
}

interface CaseFigures {
  name: string;
  op: string;
  args: Record<string, unknown>;
  ms: number[];
  cpuMs: number[];
  medianMs: number;
  medianCpuMs: number;
  objects: number;
  decisions: number;
  changed: number;
  impact: string;
}

/** Wall-clock and CPU time (on a shared machine the CPU time is the fairer figure). */
function time<T>(fn: () => T): { ms: number; cpuMs: number; value: T } {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const value = fn();
  const cpu = process.cpuUsage(c);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000, value };
}

function summary(r: PreviewResult): string {
  if (r.status !== 'ok') return `refused: ${r.refusal.message}`;
  if (r.impact.length === 0) return 'nobody gains or loses anything';
  return r.impact.map((i) => `${i.capability} +${i.gained.users} users/${i.gained.objects} objects, −${i.lost.users}/${i.lost.objects}`).join('; ');
}

function loadNote(): string {
  const [one, five] = loadavg();
  return `load average ${one!.toFixed(1)} (1 min), ${five!.toFixed(1)} (5 min) on ${availableParallelism()} cores`;
}

export async function run(opts: BenchOptions): Promise<unknown> {
  const scale = opts.scale;
  const wl = generateWorkload(scale);
  const world = World.build(wl.institutionId, 1, wl.rows);
  // The faculty of the first section: at scale 1 each faculty holds 1,000 sections; smaller scales
  // keep the tree whole but fill it from the first faculty on, so this one is never empty.
  const faculty = world.tree.units.get(world.sectionUnit(wl.sections[0]!)!)!.parentId!;
  const level = { scopeType: 'unit' as const, scopeId: faculty };
  const now = effective(world, level, 'downloads').value;
  const to = now === 'off' ? 'on' : 'off';
  const student = wl.students[0]!;
  const cases: Case[] = [
    { name: `toggle downloads ${to} at ${faculty}`, op: 'settings.set', args: { scope: faculty, key: 'downloads', value: to } },
    { name: `lock studentCopy off at ${faculty}`, op: 'settings.set', args: { scope: faculty, key: 'studentCopy', value: 'off', allowsOverride: false } },
    { name: `grant admin at ${faculty} to a student`, op: 'role.grant', args: { user: student, role: 'admin', scope: faculty } },
    { name: 'move a department to another faculty', op: 'unit.update', args: { unit: world.sectionUnit(wl.sections[0]!)!, parent: faculty === 'fac2' ? 'fac3' : 'fac2' } },
    { name: 'turn delegated administration off', op: 'institution.configure', args: { delegatedAdministration: false } },
  ];
  // LECTERN_PREVIEW_CASES=toggle,lock… runs only the cases whose names start so (a long full-scale run, one case).
  const only = process.env.LECTERN_PREVIEW_CASES?.split(',').filter(Boolean);
  if (only) cases.splice(0, cases.length, ...cases.filter((c) => only.some((o) => c.name.startsWith(o))));
  // An admin of the root (bench/workload.ts: staff 1–4 are listed at the root; staff 0 is the system admin).
  const admin: Principal = { kind: 'user', institutionId: wl.institutionId, userId: wl.staff[1]!, systemAdmin: false };
  const figures: CaseFigures[] = [];
  for (const c of cases) {
    const op = operationNamed(c.op)!;
    const ms: number[] = [];
    const cpuMs: number[] = [];
    let last!: PreviewResult;
    for (let i = 0; i < REPEAT; i++) {
      const t = time(() => preview(world, admin, op, c.args, { at: '2026-10-15', limit: 50 }));
      ms.push(Math.round(t.ms));
      cpuMs.push(Math.round(t.cpuMs));
      last = t.value;
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const f: CaseFigures = {
      name: c.name,
      op: c.op,
      args: c.args,
      ms,
      cpuMs,
      medianMs: median(ms),
      medianCpuMs: median(cpuMs),
      objects: last.status === 'ok' ? last.cost.objects : 0,
      decisions: last.status === 'ok' ? last.cost.decisions : 0,
      changed: last.status === 'ok' ? last.total : 0,
      impact: summary(last),
    };
    figures.push(f);
    console.log(`${f.name}: ${ms.join(', ')} ms wall, ${cpuMs.join(', ')} ms CPU (${f.objects} objects visited, ${f.decisions} decisions); ${f.impact}`);
  }
  const toggle = figures.find((f) => f.name.startsWith('toggle')) ?? figures[0]!;
  const result = {
    scale,
    date: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    users: wl.counts.user,
    sections: wl.counts.section,
    media: wl.counts.media,
    goalMs: GOAL_MS,
    toggleMedianMs: toggle.medianMs,
    toggleMedianCpuMs: toggle.medianCpuMs,
    withinGoal: scale < 1 ? undefined : toggle.medianMs <= GOAL_MS,
    cases: figures,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/preview.json', JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# Impact preview (scale ${scale}, ${result.date.slice(0, 10)}, ${result.machine})`,
    '',
    `World: ${wl.counts.user?.toLocaleString('en')} users, ${wl.counts.section?.toLocaleString('en')} sections, ${wl.counts.media?.toLocaleString('en')} media, ${wl.counts.enrollment?.toLocaleString('en')} enrollments. Previewed by an admin of the root; each case ${REPEAT} times, the first cold.`,
    `Goal (scale 1): a toggle at a faculty in at most ${GOAL_MS} ms — ${scale < 1 ? 'not judged at this scale' : toggle.medianMs <= GOAL_MS ? `met (median ${toggle.medianMs} ms wall, ${toggle.medianCpuMs} ms CPU)` : `NOT met on the wall clock (median ${toggle.medianMs} ms wall, ${toggle.medianCpuMs} ms CPU; see the load note)`}.`,
    `Load when measured: ${loadNote()}.`,
    '',
    '| case | wall ms (each run) | CPU ms (each run) | median wall ms | objects visited | decisions | (person, capability, object) changes | impact |',
    '|---|---|---|---|---|---|---|---|',
    ...figures.map((f) => `| ${f.name} | ${f.ms.join(', ')} | ${f.cpuMs.join(', ')} | ${f.medianMs} | ${f.objects} | ${f.decisions} | ${f.changed} | ${f.impact} |`),
    '',
  ].join('\n');
  writeFileSync('bench/results/preview.md', md);
  return result;
}
