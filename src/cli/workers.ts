/**
 * `lectern serve --workers N`: N server processes on one port (node:cluster). Each worker is a
 * whole Lectern — its own worlds, loaded from PostgreSQL and kept current by following the
 * changelog (LISTEN/NOTIFY) — so any worker answers any request, and a write in one is visible in
 * the others as soon as they have caught up (`atLeastRevision` waits for that). The primary process
 * only starts workers, restarts one that dies, and passes a stop signal on.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';

/** Why more than one worker is refused on the embedded store, or undefined when it is allowed. */
export function workersRefusal(workers: number, databaseUrl: string | undefined): string | undefined {
  if (workers <= 1 || databaseUrl) return undefined;
  return (
    `--workers ${workers} needs PostgreSQL (set DATABASE_URL): the embedded store (PGlite) is one process's ` +
    'database, which other processes cannot open, and passing every write through one process would undo ' +
    'what the workers are for. Run one process on the embedded store, or point Lectern at PostgreSQL.'
  );
}

/** The default number of workers: the machine's cores on PostgreSQL, one on the embedded store. */
export function defaultWorkers(databaseUrl: string | undefined): number {
  return databaseUrl ? availableParallelism() : 1;
}

export const isWorker = (): boolean => cluster.isWorker;

/** A worker tells the primary where it listens (the primary prints it once). */
export function announceListening(address: string): void {
  if (cluster.isWorker) process.send?.({ lectern: 'listening', address });
}

/**
 * Runs the primary: forks `n` workers (each runs the same command line) and resolves with the
 * address the first one listens on. A worker that dies unasked is replaced; SIGINT/SIGTERM stop
 * them all, and the primary exits when the last one has.
 */
export function runPrimary(n: number, onListening: (address: string) => void): void {
  let stopping = false;
  let announced = false;
  const fork = () => {
    const w = cluster.fork();
    w.on('message', (m: { lectern?: string; address?: string }) => {
      if (m?.lectern === 'listening' && m.address && !announced) {
        announced = true;
        onListening(m.address);
      }
    });
  };
  for (let i = 0; i < n; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(fork, 500);
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
