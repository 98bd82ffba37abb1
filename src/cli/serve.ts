/**
 * `lectern serve` (the HTTP API, optionally loading a demo world first) and `lectern token …`
 * (API tokens for services; the CLI is trusted like a DBA and needs no session).
 */
import { Command, InvalidArgumentError } from 'commander';
import { buildApp } from '../api/app.js';
import type { Config } from '../config.js';
import { loadWorldFile } from '../scenario/run.js';
import { Auth } from '../services/auth.js';
import { loadIdentityProviders } from '../services/directory/index.js';
import { Lectern, type Directory } from '../services/lectern.js';
import type { Store } from '../store/store.js';
import { institutionOf, openStore } from './store.js';
import { announceListening, defaultWorkers, isWorker, runPrimary, workersRefusal } from './workers.js';

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError(`'${v}' is not a number of workers (1–256)`);
  return n;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`'${v}' is not a port number`);
  return n;
}

async function withStore<T>(cfg: Config, fn: (lectern: Lectern, auth: Auth, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(cfg);
  try {
    const lectern = new Lectern(store);
    return await fn(lectern, new Auth(lectern), store);
  } finally {
    await store.close();
  }
}


export function registerServe(cli: Command, cfg: Config): void {
  cli
    .command('serve')
    .description('serve the HTTP API (OpenAPI at /docs)')
    .option('--world <file>', 'load this world file first (skipped when its institution already exists)')
    .option('--port <n>', `port to listen on (default PORT or ${cfg.port})`, port)
    .option('--host <host>', `address to listen on (default HOST or ${cfg.host})`)
    .option('--identity-providers <file>', 'YAML file of external identity providers (default LECTERN_IDENTITY_PROVIDERS; docs/IDENTITY.md)')
    .option('--workers <n>', 'server processes on the one port, each with its own worlds (default: the cores on PostgreSQL, 1 on the embedded store)', count)
    .action(async (o: { world?: string; port?: number; host?: string; identityProviders?: string; workers?: number }) => {
      const workers = o.workers ?? defaultWorkers(cfg.databaseUrl);
      const refusal = workersRefusal(workers, cfg.databaseUrl);
      if (refusal) throw new Error(refusal);
      // External identity providers (SPEC §9), checked before anything starts.
      const providersFile = o.identityProviders ?? cfg.identityProviders;
      const directories = providersFile ? await loadIdentityProviders(providersFile) : new Map<string, Directory>();
      if (workers > 1 && !isWorker()) {
        // The primary migrates and loads the world file once, then leaves serving to the workers.
        const store = await openStore(cfg);
        try {
          if (o.world) {
            const lectern = new Lectern(store);
            const auth = new Auth(lectern);
            const r = await loadWorldFile(lectern, o.world, { setPassword: (i, u, p) => auth.storePassword(i, u, p) });
            console.log(r.loaded ? `loaded ${o.world} as institution '${r.institutionId}'` : `institution '${r.institutionId}' already exists; ${o.world} not loaded again`);
          }
        } finally {
          await store.close();
        }
        runPrimary(workers, (address) => {
          console.log(`Lectern is listening on ${address} with ${workers} workers (API docs: ${address}/docs)`);
        });
        return;
      }
      const store = await openStore(cfg);
      const lectern = new Lectern(store, cfg.worldBudgetMB ? { worldBudgetBytes: cfg.worldBudgetMB * 1024 * 1024 } : {});
      for (const [name, dir] of directories) lectern.directories.set(name, dir);
      const auth = new Auth(lectern);
      if (o.world && !isWorker()) {
        const r = await loadWorldFile(lectern, o.world, { setPassword: (i, u, p) => auth.storePassword(i, u, p) });
        console.log(r.loaded ? `loaded ${o.world} as institution '${r.institutionId}'` : `institution '${r.institutionId}' already exists; ${o.world} not loaded again`);
      }
      const app = buildApp({ lectern, auth, logger: { level: process.env.LOG_LEVEL ?? 'info' } });
      // Other server processes on the same database: their commits reach this one's worlds at once.
      const unfollow = lectern.follow();
      const stop = async () => {
        await unfollow();
        await app.close();
        await store.close();
        // A worker's channel to the primary would keep it alive.
        if (isWorker()) process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
      const address = await app.listen({ port: o.port ?? cfg.port, host: o.host ?? cfg.host });
      if (isWorker()) return announceListening(address);
      const institutions = await store.listInstitutions();
      console.log(`Lectern is listening on ${address} (API docs: ${address}/docs)`);
      console.log(`  identity providers: local${[...lectern.directories.keys()].map((k) => `, ${k}`).join('')}${providersFile ? ` (from ${providersFile})` : ''}`);
      console.log(`  storage: ${cfg.databaseUrl ? 'PostgreSQL' : `embedded, ${cfg.dataDir}`}; institutions: ${institutions.map((i) => i.institutionId).join(', ') || 'none yet'}`);
      console.log('  sign in: POST /v1/session {"institution","username","password"} with header X-Lectern-CSRF: 1');
      console.log('  or use a token: lectern token create --institution ID --user USER, then Authorization: Bearer <token>');
    });

  const token = cli.command('token').description('API tokens for services');
  token
    .command('create')
    .description('create a token that acts as a user, and print it (shown only once)')
    .option('--institution <id>', 'the institution (default: the only one)')
    .requiredOption('--user <user>', 'user id, username or email the token acts as')
    .option('--name <name>', 'what the token is for', 'API token')
    .action(async (o: { institution?: string; user: string; name: string }) => {
      await withStore(cfg, async (lectern, auth, store) => {
        const institutionId = await institutionOf(store, o.institution);
        const world = await lectern.world(institutionId);
        if (!world) throw new Error(`institution '${institutionId}' does not exist`);
        const u = world.findUser(o.user);
        if (!u) throw new Error(`user '${o.user}' does not exist in ${institutionId}`);
        const t = await auth.createToken(institutionId, u.id, o.name);
        console.error(`token ${t.id} for ${u.id} in ${institutionId} (keep it secret; it is not shown again):`);
        console.log(t.token);
      });
    });
  token
    .command('list')
    .description('list the tokens of an institution (never the tokens themselves)')
    .option('--institution <id>', 'the institution (default: the only one)')
    .option('--user <user>', 'only this user’s tokens')
    .action(async (o: { institution?: string; user?: string }) => {
      await withStore(cfg, async (_lectern, auth, store) => {
        const institutionId = await institutionOf(store, o.institution);
        const tokens = await auth.listTokens(institutionId, o.user);
        if (tokens.length === 0) console.log(`no tokens in ${institutionId}${o.user ? ` for ${o.user}` : ''}`);
        for (const t of tokens) {
          console.log(`${t.id}\t${t.userId}\t${t.name}\tcreated ${t.createdAt.toISOString()}${t.revokedAt ? `\trevoked ${t.revokedAt.toISOString()}` : ''}`);
        }
      });
    });
  token
    .command('revoke')
    .description('revoke a token by its id')
    .argument('<id>', 'the token id (tok_…)')
    .option('--institution <id>', 'the institution (default: the only one)')
    .action(async (id: string, o: { institution?: string }) => {
      await withStore(cfg, async (_lectern, auth, store) => {
        const institutionId = await institutionOf(store, o.institution);
        if (!(await auth.revokeToken(institutionId, id))) throw new Error(`no active token '${id}' in ${institutionId}`);
        console.log(`revoked ${id}`);
      });
    });
}
