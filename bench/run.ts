/**
 * Runs the benchmarks: every bench/*.ts module (but this one) that exports `run(opts)`.
 *   npm run bench -- [--scale N] [--only NAME] [--driver pglite|postgres]
 * --scale multiplies each benchmark's size (default 1); --only runs the one named (file name
 * without .ts); --driver measures only that store, for the benchmarks that measure both (postgres
 * needs DATABASE_URL). Each benchmark writes its figures under bench/results/.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchOptions {
  /** Multiplies the benchmark's size; 1 is the size it is meant to report. */
  scale: number;
  /** Only this store, for benchmarks that measure PGlite and PostgreSQL (default: both when DATABASE_URL is set). */
  driver?: 'pglite' | 'postgres';
}

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv: string[]): { scale: number; only?: string; driver?: BenchOptions['driver'] } {
  let scale = 1;
  let only: string | undefined;
  let driver: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--scale') scale = Number(value());
    else if (a.startsWith('--scale=')) scale = Number(a.slice(8));
    else if (a === '--only') only = value();
    else if (a.startsWith('--only=')) only = a.slice(7);
    else if (a === '--driver') driver = value();
    else if (a.startsWith('--driver=')) driver = a.slice(9);
    else throw new Error(`unknown argument '${a}' (use --scale N, --only NAME, --driver pglite|postgres)`);
  }
  if (driver !== undefined && driver !== 'pglite' && driver !== 'postgres') throw new Error(`--driver must be pglite or postgres, not '${driver}'`);
  if (driver === 'postgres' && !process.env.DATABASE_URL) throw new Error('--driver postgres needs DATABASE_URL');
  if (!Number.isFinite(scale) || scale <= 0) throw new Error('--scale must be a positive number');
  return { scale, ...(only ? { only: only.replace(/\.ts$/, '') } : {}), ...(driver ? { driver: driver as BenchOptions['driver'] } : {}) };
}

async function main(): Promise<void> {
  const { scale, only, driver } = parseArgs(process.argv.slice(2));
  const names = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
  const chosen = only ? names.filter((n) => n === only) : names;
  if (chosen.length === 0) throw new Error(only ? `no benchmark '${only}' (there are: ${names.join(', ')})` : 'no benchmarks in bench/');
  for (const name of chosen) {
    const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { run?: (opts: BenchOptions) => Promise<unknown> };
    if (typeof mod.run !== 'function') {
      console.log(`skip ${name}: it exports no run(opts)`);
      continue;
    }
    console.log(`== ${name} (scale ${scale}${driver ? `, ${driver} only` : ''})`);
    await mod.run({ scale, ...(driver ? { driver } : {}) });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
