/**
 * `lectern preview FILE` — "what would change?" for one operation written as POST /v1/preview
 * takes it (`{ "do": "settings.set", "with": { … } }`, optionally `limit`, `offset`, `at`), run as
 * `--as` (or Lectern itself) on the institution's world, writing nothing. Prints the counts, the
 * notes and the first items; `--json` prints the whole answer. Exit 0 when the operation would be
 * allowed, 1 when it would be refused.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { previewOperation, type PreviewResult } from '../services/preview.js';
import { context } from './licenses.js';

function readRequest(file: string): { do: string; with: Record<string, unknown>; limit?: number; offset?: number; at?: string } {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: must be a JSON object { "do": …, "with": { … } }`);
  const r = raw as Record<string, unknown>;
  if (typeof r.do !== 'string' || r.do === '') throw new Error(`${file}: do: must name an operation`);
  if (r.with !== undefined && (typeof r.with !== 'object' || r.with === null || Array.isArray(r.with))) throw new Error(`${file}: with: must be an object of arguments`);
  for (const k of ['limit', 'offset'] as const) if (r[k] !== undefined && (!Number.isInteger(r[k]) || (r[k] as number) < 0)) throw new Error(`${file}: ${k}: must be a whole number ≥ 0`);
  if (r.at !== undefined && typeof r.at !== 'string') throw new Error(`${file}: at: must be a date or time`);
  const extra = Object.keys(r).filter((k) => !['do', 'with', 'limit', 'offset', 'at'].includes(k));
  if (extra.length > 0) throw new Error(`${file}: ${extra[0]}: is not a field of a preview (do, with, limit, offset, at)`);
  return { do: r.do, with: (r.with as Record<string, unknown> | undefined) ?? {}, ...(r.limit !== undefined ? { limit: r.limit as number } : {}), ...(r.offset !== undefined ? { offset: r.offset as number } : {}), ...(r.at !== undefined ? { at: r.at as string } : {}) };
}

export function printPreview(r: PreviewResult, log: (l: string) => void): void {
  if (r.status === 'refused') {
    log(`refused (${r.refusal.status}): ${r.refusal.message}`);
    for (const why of (r.refusal.reasons ?? []).slice(1)) log(`  because ${why}`);
    return;
  }
  log(`at revision ${r.revision}: ${r.changes} row${r.changes === 1 ? '' : 's'} would change (${r.target})`);
  if (r.impact.length === 0) log('nobody would gain or lose any capability');
  for (const i of r.impact) {
    const where = (t: { sections?: number }) => (t.sections !== undefined ? ` in ${t.sections} sections` : '');
    log(`  ${i.capability}: +${i.gained.users} people on ${i.gained.objects} ${i.type}${where(i.gained)}; −${i.lost.users} people on ${i.lost.objects} ${i.type}${where(i.lost)}`);
  }
  for (const n of r.notes) log(`note: ${n.message}`);
  if (r.items.length > 0) log(`items ${r.offset + 1}–${r.offset + r.items.length} of ${r.total}:`);
  for (const it of r.items) log(`  ${it.change === 'gain' ? '+' : '−'} ${it.user} ${it.capability} ${it.object}`);
}

export function registerPreview(cli: Command, cfg: Config): void {
  cli
    .command('preview')
    .description('what would change if an operation ran: who gains and who loses which capability on which objects (nothing is written)')
    .argument('<file>', 'a JSON file: { "do": "settings.set", "with": { "scope": "science", "key": "downloads", "value": "off" } } (optionally limit, offset, at)')
    .option('--institution <id>', 'the institution (default: the only one)')
    .option('--as <user>', 'preview as this user (default: Lectern itself)')
    .option('--json', 'print the whole answer as JSON')
    .action(async (file: string, o: { institution?: string; as?: string; json?: boolean }) => {
      const req = readRequest(file);
      const { store, lectern, institutionId, principal } = await context(cfg, o);
      try {
        const r = await previewOperation(lectern, principal, institutionId, req.do, req.with, { limit: req.limit, offset: req.offset, at: req.at });
        if (o.json) console.log(JSON.stringify(r, null, 2));
        else printPreview(r, (l) => console.log(l));
        process.exitCode = r.status === 'ok' ? 0 : 1;
      } finally {
        await store.close();
      }
    });
}
