/**
 * `lectern licenses import FILE [--dry-run]` and `lectern licenses export [--out FILE]`.
 * The CLI acts as a named user (`--as`), whose rights decide every row, or, without one, as Lectern
 * itself (the operator at the console of the server).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { SYSTEM, type Principal } from '../policy/index.js';
import { Lectern } from '../services/lectern.js';
import { add, exportCsv, ImportRefused, importCsv, resultLine, type ImportKind, type ImportSummary } from '../services/imports/csv.js';
import { licenseKind } from '../services/imports/licenses.js';
import { institutionOf, openStore } from './store.js';

export async function context(cfg: Config, o: { institution?: string; as?: string }) {
  const store = await openStore(cfg);
  const lectern = new Lectern(store);
  const institutionId = await institutionOf(store, o.institution).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  const world = await lectern.world(institutionId);
  if (!world) {
    await store.close();
    throw new Error(`institution '${institutionId}' does not exist`);
  }
  let principal: Principal = SYSTEM;
  if (o.as) {
    const u = world.findUser(o.as);
    if (!u) {
      await store.close();
      throw new Error(`--as: user '${o.as}' does not exist in ${institutionId}`);
    }
    principal = lectern.principal(institutionId, u.id);
  }
  return { store, lectern, institutionId, world, principal };
}

/** Runs an import of `kind` from a file, with a progress bar on stderr and a summary on stdout. */
export async function runImportCommand(cfg: Config, kind: ImportKind, file: string, o: { dryRun?: boolean; institution?: string; as?: string; result?: string }): Promise<number> {
  const size = (await stat(file)).size;
  const { store, lectern, institutionId, principal } = await context(cfg, o);
  const bar = new SingleBar({ format: `${o.dryRun ? 'dry run ' : ''}${kind.name} [{bar}] {percentage}% | {rows} rows`, hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const out = o.result ? createWriteStream(o.result) : undefined;
  out?.write('line,outcome,reason\r\n');
  const summary: ImportSummary = { rows: 0, applied: 0, unchanged: 0, refused: 0, byStatus: {}, dryRun: !!o.dryRun };
  const problems: string[] = [];
  bar.start(Math.max(size, 1), 0, { rows: 0 });
  const started = Date.now();
  try {
    for await (const results of importCsv(lectern, principal, institutionId, kind, createReadStream(file).pipe(counter), { dryRun: o.dryRun })) {
      for (const r of results) {
        add(summary, r);
        out?.write(resultLine(r));
        if (r.status !== 'ok' && problems.length < 50) problems.push(`  line ${r.line}: ${r.status}: ${r.message}`);
      }
      bar.update(bytes, { rows: summary.rows });
    }
    bar.update(Math.max(size, 1), { rows: summary.rows });
    bar.stop();
  } catch (e) {
    bar.stop();
    if (e instanceof ImportRefused) {
      console.error(`lectern: ${file}: ${e.refusal.message}`);
      // Stopped part-way (e.g. bytes that are not UTF-8): say what the batches before it did.
      if (summary.rows > 0) console.error(`lectern: before it, ${summary.rows} rows: ${summary.applied} ${o.dryRun ? 'would apply' : 'applied'}, ${summary.unchanged} unchanged, ${summary.refused} refused`);
      return 1;
    }
    throw e;
  } finally {
    out?.end();
    await store.close();
  }
  const secs = (Date.now() - started) / 1000;
  for (const p of problems) console.log(p);
  if (summary.refused > problems.length) console.log(`  … and ${summary.refused - problems.length} more refused rows${o.result ? ` (all in ${o.result})` : ' (write them all with --result FILE)'}`);
  console.log(
    `${o.dryRun ? 'dry run: nothing written; ' : ''}${summary.rows} rows: ${summary.applied} ${o.dryRun ? 'would apply' : 'applied'}, ${summary.unchanged} unchanged, ${summary.refused} refused` +
      ` (${Object.entries(summary.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}) in ${secs.toFixed(1)} s`,
  );
  return summary.refused > 0 ? 1 : 0;
}

export async function runExportCommand(cfg: Config, kind: ImportKind, o: { institution?: string; as?: string; out?: string }): Promise<void> {
  const { store, world, principal, lectern, institutionId } = await context(cfg, o);
  try {
    const d = lectern.check(world, principal, kind.exportAction, `institution:${institutionId}`, { kind: kind.name });
    if (!d.allow) throw new Error(`export refused: ${d.reasons.join('; ')}`);
    const sink = o.out ? createWriteStream(o.out) : process.stdout;
    for (const line of exportCsv(kind, world, principal)) sink.write(line);
    if (o.out) await new Promise<void>((resolve) => (sink as NodeJS.WritableStream).end(resolve));
  } finally {
    await store.close();
  }
}

export function registerLicenses(cli: Command, cfg: Config): void {
  const lic = cli.command('licenses').description('Personal Capture license CSV files (Username,Action,License ID)');
  lic
    .command('import')
    .description('assign, autoassign, revoke and revokeall from a CSV file; every row applied or refused on its own, with a summary')
    .argument('<file>', 'a CSV file with the header Username,Action,License ID')
    .option('--dry-run', 'report what would happen, write nothing')
    .option('--institution <id>', 'the institution (default: the only one)')
    .option('--as <user>', 'act as this user (default: Lectern itself)')
    .option('--result <file>', 'write every row\'s outcome (line,outcome,reason) to this CSV')
    .action(async (file: string, o: { dryRun?: boolean; institution?: string; as?: string; result?: string }) => {
      process.exitCode = await runImportCommand(cfg, licenseKind, file, o);
    });
  lic
    .command('export')
    .description('every seat as a CSV file that is also a valid import file')
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--institution <id>', 'the institution (default: the only one)')
    .option('--as <user>', 'act as this user (default: Lectern itself)')
    .action(async (o: { out?: string; institution?: string; as?: string }) => {
      await runExportCommand(cfg, licenseKind, o);
    });
}
