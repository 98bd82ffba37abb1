/**
 * cli/: the `lectern` command. Thin: it parses arguments, opens the store and calls services.
 */
import { readFileSync } from 'node:fs';
import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { configFromEnv } from '../config.js';
import { institutionOf, openStore } from './store.js';
import { Store } from '../store/store.js';
import { Lectern } from '../services/lectern.js';
import { runScenarioFiles } from '../scenario/run.js';
import { registerServe } from './serve.js';
import { registerLicenses } from './licenses.js';
import { registerImports } from './imports.js';
import { registerLti } from './lti.js';
import { registerPreview } from './preview.js';

/** Expands directories to the .yaml/.yml files in them, sorted. */
async function scenarioFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (s?.isDirectory()) {
      const names = (await readdir(p)).filter((n) => /\.ya?ml$/.test(n)).sort();
      out.push(...names.map((n) => join(p, n)));
    } else out.push(p);
  }
  return out;
}

function parseJsonOption(v: string): Record<string, unknown> {
  try {
    const x = JSON.parse(v) as unknown;
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error('not an object');
    return x as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgumentError(`--context must be a JSON object (${(e as Error).message})`);
  }
}

export function program(): Command {
  const cfg = configFromEnv();
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const cli = new Command('lectern')
    .description('Lectern: the access, role and license authority for lecture capture')
    .version(version, '-V, --version', 'print the version')
    // Usage errors (unknown command or option, a bad argument) exit 2, as documented below.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .addHelpText(
      'after',
      `
Exit codes:
  0  done (check: allow; test: every expectation held; import: every row applied or unchanged)
  1  done, but something was refused or failed (test: a failing expectation; import: a refused row)
  2  could not run: bad arguments, a missing file or institution, a database error
  3  check: deny`,
    );

  cli
    .command('test')
    .description('run scenario files (each on a fresh embedded database); ends with "N passed, M failed"')
    .argument('<files...>', 'scenario files or directories of them')
    .action(async (paths: string[]) => {
      const files = await scenarioFiles(paths);
      const store = await Store.open({});
      await store.migrate();
      try {
        const { failed } = await runScenarioFiles(new Lectern(store), files, (l) => console.log(l));
        process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
      } finally {
        await store.close();
      }
    });

  cli
    .command('check')
    .description('ask for one decision and print it with its reasons')
    .argument('<user>', 'user id (or username or email)')
    .argument('<action>', 'an action such as user.update')
    .argument('<resource>', 'type:id, e.g. unit:physics')
    .option('--institution <id>', 'the institution (default: the only one)')
    .option('--context <json>', 'the decision context as JSON', parseJsonOption)
    .action(async (user: string, action: string, resource: string, o: { institution?: string; context?: Record<string, unknown> }) => {
      const store = await openStore(cfg);
      try {
        const lectern = new Lectern(store);
        const institutionId = await institutionOf(store, o.institution);
        const world = await lectern.world(institutionId);
        if (!world) throw new Error(`institution '${institutionId}' does not exist`);
        const u = world.findUser(user);
        if (!u) throw new Error(`user '${user}' does not exist in ${institutionId}`);
        const d = lectern.check(world, lectern.principal(institutionId, u.id), action, resource, o.context ?? {});
        console.log(`${d.allow ? 'allow' : 'deny'}: ${u.id} ${action} ${resource}`);
        for (const r of d.reasons) console.log(`  because ${r}`);
        process.exitCode = d.allow ? 0 : 3;
      } finally {
        await store.close();
      }
    });

  const db = cli.command('db').description('database maintenance');
  db.command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const store = await openStore(cfg);
      await store.close();
      console.log(`migrated (${cfg.databaseUrl ? 'PostgreSQL' : `embedded, ${cfg.dataDir}`})`);
    });

  registerServe(cli, cfg);
  registerLicenses(cli, cfg);
  registerImports(cli, cfg);
  registerLti(cli, cfg);
  registerPreview(cli, cfg);
  return cli;
}

program()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    console.error(`lectern: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  });
