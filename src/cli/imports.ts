/**
 * `lectern import KIND FILE [--dry-run]` and `lectern export KIND [--out FILE]` for every CSV kind
 * (users, units, terms, courses, sections, enrollments, schedules, members, licenses; columns in
 * docs/IMPORTS.md). The same progress bar, summary and result file as `lectern licenses import`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config.js';
import type { ImportKind } from '../services/imports/csv.js';
import { KIND_NAMES, kindNamed } from '../services/imports/kinds.js';
import { runExportCommand, runImportCommand } from './licenses.js';
import { runOneRosterCommand } from './oneroster.js';

function importKindArg(v: string): ImportKind | 'oneroster' {
  return v.toLowerCase() === 'oneroster' ? 'oneroster' : kindArg(v);
}

function kindArg(v: string): ImportKind {
  const k = kindNamed(v);
  if (!k) throw new InvalidArgumentError(`'${v}' is not a kind of CSV file (${KIND_NAMES.join(', ')})`);
  return k;
}

export function registerImports(cli: Command, cfg: Config): void {
  cli
    .command('import')
    .description(`import a CSV file (${KIND_NAMES.join(', ')}) or a OneRoster 1.1 export (oneroster); every row applied or refused on its own, with a progress bar and a summary`)
    .argument('<kind>', [...KIND_NAMES, 'oneroster'].join(' | '), importKindArg)
    .argument('<file>', 'the CSV file (UTF-8, comma, semicolon or tab; see docs/IMPORTS.md for the columns); for oneroster, the export directory or zip (docs/PROVISIONING.md)')
    .option('--dry-run', 'report what would happen, write nothing')
    .option('--institution <id>', 'the institution (default: the only one)')
    .option('--as <user>', 'act as this user (default: Lectern itself)')
    .option('--result <file>', "write every row's outcome (line,outcome,reason) to this CSV")
    .action(async (kind: ImportKind | 'oneroster', file: string, o: { dryRun?: boolean; institution?: string; as?: string; result?: string }) => {
      process.exitCode = kind === 'oneroster' ? await runOneRosterCommand(cfg, file, o) : await runImportCommand(cfg, kind, file, o);
    });
  cli
    .command('export')
    .description('export what the actor may see as a CSV file that is also a template for import')
    .argument('<kind>', KIND_NAMES.join(' | '), kindArg)
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--institution <id>', 'the institution (default: the only one)')
    .option('--as <user>', 'act as this user (default: Lectern itself)')
    .action(async (kind: ImportKind, o: { out?: string; institution?: string; as?: string }) => {
      await runExportCommand(cfg, kind, o);
    });
}
