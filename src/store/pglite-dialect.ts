/**
 * Kysely over PGlite. PGlite is one connection in this process, so this hands Kysely a "pool"
 * of one connection that callers queue for: a transaction holds it from BEGIN to COMMIT, which
 * keeps concurrent transactions from interleaving on the single session.
 * Kysely's own PostgreSQL driver does the rest; this only adapts PGlite's result shape, and lets
 * the event loop run between statements.
 */
import type { PGlite } from '@electric-sql/pglite';
import { PostgresDialect } from 'kysely';

interface PoolClientLike {
  query(sql: string, params: unknown[]): Promise<{ command: string; rowCount: number; rows: unknown[] }>;
  release(): void;
}

class OneConnectionPool {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly pg: PGlite) {}

  async connect(): Promise<PoolClientLike> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    const pg = this.pg;
    return {
      async query(sql, params) {
        const r = await pg.query(sql, params);
        // PGlite runs each statement on this thread: give waiting requests a turn between
        // statements, so that a long transaction (an import's batch) never holds them for its whole length.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const command = (r as { command?: string }).command ?? '';
        const rowCount = command === 'SELECT' ? r.rows.length : (r.affectedRows ?? 0);
        return { command, rowCount, rows: r.rows };
      },
      release,
    };
  }

  async end(): Promise<void> {
    await this.tail;
  }
}

export function pgliteDialect(pg: PGlite): PostgresDialect {
  // Kysely only calls connect() and end() on the pool it is given.
  return new PostgresDialect({ pool: new OneConnectionPool(pg) as never });
}
