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
