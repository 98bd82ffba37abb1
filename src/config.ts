/**
 * Configuration from the environment (12-factor); command-line flags override it.
 */
export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  /** LECTERN_IDENTITY_PROVIDERS: a YAML file of external identity providers (docs/IDENTITY.md). */
  identityProviders: string | undefined;
  /** LECTERN_SCHEMA: the PostgreSQL schema to use instead of `public` (created if missing). */
  schema?: string | undefined;
  /** LECTERN_WORLD_BUDGET_MB: memory for resident institution worlds; least recently used ones are dropped past it. */
  worldBudgetMB?: number | undefined;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: '${env.PORT}' is not a port number`);
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.LECTERN_DATA_DIR || './.lectern',
    port,
    host: env.HOST || '0.0.0.0',
    identityProviders: env.LECTERN_IDENTITY_PROVIDERS || undefined,
    schema: env.LECTERN_SCHEMA || undefined,
    worldBudgetMB: worldBudget(env.LECTERN_WORLD_BUDGET_MB),
  };
}

function worldBudget(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`LECTERN_WORLD_BUDGET_MB: '${v}' is not a positive number of megabytes`);
  return n;
}

/**
 * The most data rows one CSV upload over HTTP may have (LECTERN_IMPORT_MAX_ROWS, default 500,000);
 * a larger file answers 413 naming the cap. The CLI has no cap.
 */
export function importMaxRows(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.LECTERN_IMPORT_MAX_ROWS ?? 500_000);
  return Number.isInteger(n) && n > 0 ? n : 500_000;
}
