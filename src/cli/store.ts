/**
 * Opening the store for a CLI command: PostgreSQL when DATABASE_URL is set, else the embedded
 * data directory (or memory), migrated to the latest schema.
 */
import type { Config } from '../config.js';
import { Store } from '../store/store.js';

export async function openStore(cfg: Pick<Config, 'databaseUrl' | 'dataDir' | 'schema'>, opts: { embeddedInMemory?: boolean } = {}): Promise<Store> {
  const store = await Store.open(cfg.databaseUrl ? { databaseUrl: cfg.databaseUrl, ...(cfg.schema ? { schema: cfg.schema } : {}) } : opts.embeddedInMemory ? {} : { dataDir: cfg.dataDir });
  await store.migrate();
  return store;
}

/** The institution a command names with --institution, or the only one there is. */
export async function institutionOf(store: Store, named: string | undefined): Promise<string> {
  if (named) return named;
  const all = await store.listInstitutions();
  if (all.length !== 1) throw new Error(`name the institution with --institution (there are ${all.length}${all.length ? `: ${all.map((i) => i.institutionId).join(', ')}` : ''})`);
  return all[0]!.institutionId;
}
