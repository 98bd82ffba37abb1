/**
 * `lectern import oneroster DIR_OR_ZIP [--dry-run] [--result FILE]`: a OneRoster 1.1 CSV export
 * (docs/PROVISIONING.md), with a progress bar per file, a summary, and every row's outcome as
 * file,line,outcome,reason in the result file.
 */
import { createWriteStream } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../config.js';
import { importOneRoster } from '../integrations/oneroster/import.js';
import { openPath } from '../integrations/oneroster/source.js';
import { add, csvLine, ImportRefused, type ImportSummary } from '../services/imports/csv.js';
import { context } from './licenses.js';

export async function runOneRosterCommand(cfg: Config, path: string, o: { dryRun?: boolean; institution?: string; as?: string; result?: string }): Promise<number> {
  let source;
  try {
    source = await openPath(path);
  } catch (e) {
    console.error(`lectern: ${path}: not a directory or a zip file Lectern can read (${(e as Error).message})`);
    return 1;
  }
  const { store, lectern, institutionId, principal } = await context(cfg, o);
  const bar = new SingleBar({ format: `${o.dryRun ? 'dry run ' : ''}oneroster {file} | {rows} rows`, hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  const out = o.result ? createWriteStream(o.result) : undefined;
  out?.write('file,line,outcome,reason\r\n');
  const summary: ImportSummary = { rows: 0, applied: 0, unchanged: 0, refused: 0, byStatus: {}, dryRun: !!o.dryRun };
  const problems: string[] = [];
  const started = Date.now();
  bar.start(1, 0, { file: '', rows: 0 });
  try {
    const onProgress = (file: string) => bar.update(0, { file, rows: summary.rows });
    for await (const results of importOneRoster(lectern, principal, institutionId, source, { dryRun: o.dryRun, onProgress })) {
      for (const r of results) {
        add(summary, r);
        const outcome = r.status === 'ok' ? (r.changed ? 'applied' : 'unchanged') : r.status;
        out?.write(csvLine([r.file, String(r.line), outcome, r.status === 'ok' ? '' : r.message]));
        if (r.status !== 'ok' && problems.length < 50) problems.push(`  ${r.file} line ${r.line}: ${r.status}: ${r.message}`);
      }
      bar.update(0, { rows: summary.rows });
    }
    bar.update(1, { rows: summary.rows });
    bar.stop();
  } catch (e) {
    bar.stop();
    if (e instanceof ImportRefused) {
      console.error(`lectern: ${path}: ${e.refusal.message}`);
      return 1;
    }
    throw e;
  } finally {
    source.close();
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
