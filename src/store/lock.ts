/**
 * The embedded database (PGlite) is one process's database: two processes opening the same data
 * directory each believe they own it, and whatever the second writes is lost to the first (and
 * revisions are reused). So the data directory has an exclusive lock file, `lectern.lock`, naming
 * its holder (PID and command). A second opener fails at once with a message that names the holder
 * and what to do; a lock whose process is gone (killed, crashed) is taken over.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'lectern.lock';

interface Holder {
  pid: number;
  command: string;
  startedAt: string;
  /** Tells this lock from a later one by the same PID. */
  nonce: string;
}

/** Thrown when another live process holds the data directory. */
export class DataDirLocked extends Error {
  constructor(
    readonly dir: string,
    readonly holder: Holder,
  ) {
    super(
      `the data directory ${dir} is in use by process ${holder.pid} (${holder.command}, since ${holder.startedAt}). ` +
        'The embedded database serves one process at a time: stop that process first, or send the change to it ' +
        'through its HTTP API, or run every process on PostgreSQL (DATABASE_URL).',
    );
    this.name = 'DataDirLocked';
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else; only ESRCH means it is gone.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return typeof h.pid === 'number' && typeof h.nonce === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Holds a data directory until `release()` (or the process's exit). */
export class DataDirLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly dir: string,
    private readonly path: string,
    private readonly nonce: string,
  ) {
    process.once('exit', this.onExit);
  }

  static acquire(dataDir: string): DataDirLock {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, LOCK_FILE);
    const me: Holder = {
      pid: process.pid,
      command: [process.argv0, ...process.argv.slice(1)].join(' '),
      startedAt: new Date().toISOString(),
      nonce: randomBytes(8).toString('hex'),
    };
    // Written in full under a private name, then linked into place: the lock file either does not
    // exist or names its holder completely, never half-written.
    const tmp = `${path}.${me.nonce}`;
    writeFileSync(tmp, JSON.stringify(me));
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          linkSync(tmp, path);
          return new DataDirLock(dir, path, me.nonce);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw e;
        }
        const holder = readHolder(path);
        if (holder && alive(holder.pid)) throw new DataDirLocked(dataDir, holder);
        // Stale (its process is gone) or unreadable: move it aside, then make sure what was moved is
        // the stale lock and not one another opener took in the meantime.
        const aside = `${path}.stale.${me.nonce}`;
        try {
          renameSync(path, aside);
        } catch {
          continue;
        }
        const moved = readHolder(aside);
        if (moved && holder && moved.nonce !== holder.nonce && alive(moved.pid)) {
          try {
            linkSync(aside, path);
          } catch {
            /* someone holds it again; the next attempt reports them */
          }
        }
        unlinkSync(aside);
      }
    } finally {
      unlinkSync(tmp);
    }
  }

  /** Gives the directory up (only if the lock file is still this one's). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    if (readHolder(this.path)?.nonce === this.nonce) {
      try {
        unlinkSync(this.path);
      } catch {
        /* already gone */
      }
    }
  }
}
