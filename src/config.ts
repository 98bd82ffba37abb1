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
  };
}
