#!/usr/bin/env node
/**
 * `npm test`: every check Lectern has, in one command that works on a fresh Debian machine.
 *
 *   1. preflight  — the system programs the suites drive (Debian's chromium, slapd and ldap-utils,
 *                   PostgreSQL's client tools). Missing ones are installed when we are root on
 *                   Debian; otherwise the run stops at once with the exact command to run.
 *   2. lint       — type check (server and console) and eslint.
 *   3. unit       — vitest: unit, storage, service, API, property, reliability and fuzz tests, on
 *                   PGlite and, with DATABASE_URL set, on PostgreSQL too.
 *   4. scenarios  — every file in scenarios/ through `lectern test`.
 *   5. browser    — the console's journeys in chromium (after building the console).
 *
 * It ends with one line, `lectern: N passed, M failed, K skipped`, preceded by the reason for every
 * skipped test or suite, so nothing is skipped silently. Exit code 0 only when nothing failed.
 * `--only stage[,stage]` runs some stages (e.g. `npm test -- --only unit,scenarios`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STAGES = ['preflight', 'lint', 'unit', 'scenarios', 'browser'];
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1]?.split(',')) : undefined;
for (const s of only ?? []) {
  if (!STAGES.includes(s)) {
    console.error(`npm test: unknown stage '${s}' (stages: ${STAGES.join(', ')})`);
    process.exit(2);
  }
}
const wanted = (stage) => !only || only.has(stage);

/** What the suites need from the system, by Debian package. */
const NEEDS = [
  { pkg: 'chromium', path: '/usr/bin/chromium', for: 'the console browser tests', stage: 'browser' },
  { pkg: 'slapd', path: '/usr/sbin/slapd', for: 'the LDAP directory tests (a real slapd)', stage: 'unit' },
  { pkg: 'ldap-utils', path: '/usr/bin/ldapadd', for: 'the LDAP directory tests (loading people)', stage: 'unit' },
];

const counts = { passed: 0, failed: 0, skipped: 0 };
const skips = [];
const failures = [];
const started = Date.now();

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function banner(text) {
  console.log(`\n== ${text}`);
}

function preflight() {
  banner('preflight: system programs the tests drive');
  const missing = NEEDS.filter((n) => wanted(n.stage) && !existsSync(n.path));
  if (missing.length === 0) {
    console.log(`all present: ${NEEDS.map((n) => n.pkg).join(', ')}`);
    return;
  }
  const pkgs = [...new Set(missing.map((n) => n.pkg))];
  const command = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;
  for (const n of missing) console.log(`missing: ${n.path} (Debian package ${n.pkg}), needed by ${n.for}`);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && existsSync('/usr/bin/apt-get') && process.env.LECTERN_NO_INSTALL !== '1') {
    console.log(`installing as root: ${command}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update'], { env }) !== 0 || run('apt-get', ['install', '-y', ...pkgs], { env }) !== 0) {
      console.error(`\nnpm test: could not install ${pkgs.join(', ')}; run this and try again:\n  sudo ${command}`);
      process.exit(1);
    }
    const still = missing.filter((n) => !existsSync(n.path));
    if (still.length) {
      console.error(`\nnpm test: still missing after the install: ${still.map((n) => n.path).join(', ')}`);
      process.exit(1);
    }
    return;
  }
  console.error(`\nnpm test: stopping before any test runs. Install what is missing, then run npm test again:\n  sudo ${command}`);
  process.exit(1);
}

/** Runs vitest with a JSON report next to the usual output; adds its counts and skipped tests. */
function vitest(label, args) {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-vitest-'));
  const out = join(dir, 'report.json');
  const status = run('npx', ['vitest', 'run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  let report;
  try {
    report = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    report = undefined;
  }
  rmSync(dir, { recursive: true, force: true });
  if (!report) {
    counts.failed += 1;
    failures.push(`${label}: vitest exited ${status} without a report`);
    return;
  }
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'passed') counts.passed += 1;
      else if (t.status === 'failed') {
        counts.failed += 1;
        failures.push(`${label}: ${t.fullName}`);
      } else {
        counts.skipped += 1;
        skips.push(`${label}: ${t.fullName}`);
      }
    }
    if ((file.assertionResults ?? []).length === 0 && file.status === 'failed') {
      counts.failed += 1;
      failures.push(`${label}: ${file.name} did not run: ${(file.message ?? '').split('\n')[0]}`);
    }
  }
  if (status !== 0 && !failures.some((f) => f.startsWith(`${label}:`))) {
    counts.failed += 1;
    failures.push(`${label}: vitest exited ${status}`);
  }
}

if (wanted('preflight')) preflight();

if (wanted('lint')) {
  banner('lint: type check and eslint');
  if (run('npm', ['run', '--silent', 'lint']) === 0) counts.passed += 1;
  else {
    counts.failed += 1;
    failures.push('lint: npm run lint failed');
  }
}

if (wanted('unit')) {
  banner(`unit, storage, service, API, property, reliability and fuzz tests (${process.env.DATABASE_URL ? 'PGlite and PostgreSQL' : 'PGlite only'})`);
  if (!process.env.DATABASE_URL) {
    skips.push('unit: the PostgreSQL half of every storage and service test (DATABASE_URL is not set; CI sets postgres://postgres@127.0.0.1:5432/test)');
  }
  vitest('unit', []);
}

if (wanted('scenarios')) {
  banner('scenario files');
  const r = spawnSync('node', ['bin/lectern.js', 'test', 'scenarios'], { encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout ?? '');
  const m = /(\d+) passed, (\d+) failed\s*$/.exec(r.stdout ?? '');
  if (m && r.status === 0) counts.passed += Number(m[1]);
  else {
    counts.passed += m ? Number(m[1]) : 0;
    counts.failed += m ? Math.max(1, Number(m[2])) : 1;
    failures.push(`scenarios: lectern test scenarios exited ${r.status}`);
  }
}

if (wanted('browser')) {
  banner('console: build, then browser journeys in chromium');
  if (run('npm', ['run', '--silent', 'build:web']) !== 0) {
    counts.failed += 1;
    failures.push('browser: the console did not build');
  } else vitest('browser', ['--config', 'vitest.browser.config.ts']);
}

const minutes = ((Date.now() - started) / 60000).toFixed(1);
console.log(`\n== summary (${minutes} min)`);
for (const f of failures) console.log(`FAILED  ${f}`);
for (const s of skips) console.log(`SKIPPED ${s}`);
console.log(`lectern: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(counts.failed > 0 ? 1 : 0);
