/**
 * services/: every operation Lectern performs, for the API, CLI, console and scenario runner alike.
 * An operation runs in one transaction holding the institution's write lock: catch the world up to
 * the store, authorize through policy, validate, write the rows with the changelog and audit
 * entries, then apply the same changes to the world and answer with the new revision.
 */
import { type Decision, type Outcome, type Refusal, Refused, invalid } from '../domain/outcome.js';
import { rowKey, type Change, type InstitutionRow, type UnitRow } from '../domain/rows.js';
import { Actor, type Principal } from '../policy/index.js';
import type { Store } from '../store/store.js';
import { World } from '../world/world.js';
import type { Operation, Plan } from './operation.js';
import { BASE_OPERATIONS } from './operations.js';
import { importOperations } from './imports/kinds.js';
import { judge } from './agree.js';
import { INSTITUTION_CREATE } from './ops/institution.js';
import { readArgs, type Args } from './validate.js';

/** Every operation: the domain's and the import rows' (SPEC §10). */
export const OPERATIONS: Readonly<Record<string, Operation>> = { ...BASE_OPERATIONS, ...importOperations };

/** An operation by name (own names only: `toString` or `__proto__` is no operation). */
export function operationNamed(name: string): Operation | undefined {
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
}

export function isOperation(name: string): boolean {
  return name === 'institution.create' || operationNamed(name) !== undefined;
}

/** One row of a batch: an operation to run, or a row already refused while reading it. */
export type BatchRow = { line: number; op: string; args: Args } | { line: number; refusal: Refusal };

export type RowResult = { line: number } & (
  | { status: 'ok'; changed: boolean; revision?: number; result?: unknown }
  | Refusal
);

/** An external identity provider's directory: given a username, the person's names and email (SPEC §9). */
export interface Directory {
  lookup(username: string): Promise<{ firstName: string; lastName: string; email: string } | undefined>;
}

/** Heap a world takes per row it holds, measured by the benchmarks (bench/results/institutions.md): for the memory budget. */
export const WORLD_BYTES_PER_ROW = 300;

export interface LecternOptions {
  /**
   * Memory for resident worlds, in bytes (estimated from their rows). Past it, the least recently
   * used worlds are dropped and loaded again on their next use. Default: no limit.
   * `lectern serve` takes it from LECTERN_WORLD_BUDGET_MB.
   */
  worldBudgetBytes?: number;
}

export class Lectern {
  private readonly worlds = new Map<string, World>();
  /** External identity providers by name (`identityProvider` on a user). */
  readonly directories = new Map<string, Directory>();
  private readonly loading = new Map<string, Promise<World | undefined>>();
  /** Resident worlds' rows when loaded, and the order they were last used in (for the budget). */
  private readonly worldRows = new Map<string, number>();
  private readonly lastUse = new Map<string, number>();
  private useTick = 0;
  private residentRows = 0;
  readonly worldBudgetBytes: number;

  constructor(
    readonly store: Store,
    opts: LecternOptions = {},
  ) {
    this.worldBudgetBytes = opts.worldBudgetBytes ?? Infinity;
  }

  /** The world of an institution, loaded from the store on first use. */
  async world(institutionId: string): Promise<World | undefined> {
    const w = this.worlds.get(institutionId);
    if (w) {
      if (this.worldBudgetBytes !== Infinity) this.lastUse.set(institutionId, ++this.useTick);
      return w;
    }
    let p = this.loading.get(institutionId);
    if (!p) {
      p = this.load(institutionId).finally(() => this.loading.delete(institutionId));
      this.loading.set(institutionId, p);
    }
    return p;
  }

  /** Institutions whose worlds are in memory, and the rows they hold (an estimate of their size). */
  resident(): { institutions: number; rows: number; estimatedBytes: number } {
    return { institutions: this.worlds.size, rows: this.residentRows, estimatedBytes: this.residentRows * WORLD_BYTES_PER_ROW };
  }

  private async load(institutionId: string): Promise<World | undefined> {
    const snap = await this.store.loadInstitution(institutionId);
    if (!snap) return undefined;
    const w = World.build(institutionId, snap.revision, snap.changes);
    const existing = this.worlds.get(institutionId);
    if (existing) return existing;
    this.keep(institutionId, w, snap.changes.length);
    return w;
  }

  /** Makes a world resident, then drops the least recently used others while over the budget. */
  private keep(institutionId: string, w: World, rows: number): void {
    this.forgetWorld(institutionId);
    this.worlds.set(institutionId, w);
    this.worldRows.set(institutionId, rows);
    this.residentRows += rows;
    this.lastUse.set(institutionId, ++this.useTick);
    if (this.worldBudgetBytes === Infinity) return;
    while (this.residentRows * WORLD_BYTES_PER_ROW > this.worldBudgetBytes && this.worlds.size > 1) {
      let oldest: string | undefined;
      let at = Infinity;
      for (const [id, t] of this.lastUse) if (id !== institutionId && t < at) [oldest, at] = [id, t];
      if (oldest === undefined) break;
      this.forgetWorld(oldest);
    }
  }

  /** Applies whatever other processes committed since this world's revision. */
  async refresh(institutionId: string): Promise<World | undefined> {
    const w = await this.world(institutionId);
    if (!w) return undefined;
    for (const entry of await this.store.changesSince(institutionId, w.revision)) w.applyRevision(entry.revision, entry.changes);
    return w;
  }

  private readonly refreshing = new Map<string, Promise<unknown>>();
  private readonly wanted = new Map<string, number>();

  /**
   * Follows the other processes writing to the same database: each commit they announce is caught
   * up from the changelog at once (one catch-up in flight per institution; a burst coalesces), and
   * after a lost connection every loaded world catches up. Returns a function that stops following.
   */
  follow(): () => Promise<void> {
    const catchUp = (institutionId: string): void => {
      if (this.refreshing.has(institutionId)) return;
      const p = this.refresh(institutionId)
        .catch(() => undefined)
        .finally(() => {
          this.refreshing.delete(institutionId);
          const w = this.worlds.get(institutionId);
          if (w && (this.wanted.get(institutionId) ?? 0) > w.revision) catchUp(institutionId);
        });
      this.refreshing.set(institutionId, p);
    };
    return this.store.listen(
      (institutionId, revision) => {
        const w = this.worlds.get(institutionId);
        if (!w || w.revision >= revision) return;
        this.wanted.set(institutionId, Math.max(revision, this.wanted.get(institutionId) ?? 0));
        catchUp(institutionId);
      },
      () => {
        for (const id of this.worlds.keys()) catchUp(id);
      },
    );
  }

  /**
   * The world once it has applied `revision`, if that revision exists. A revision beyond the latest
   * the store has committed cannot be waited for: the world is returned at once as it is (the caller
   * answers "not reached"). One that is committed is caught up from the changelog (sharing a catch-up
   * already in flight, such as the one a LISTEN/NOTIFY signal started), never by polling.
   */
  async atLeast(institutionId: string, revision: number): Promise<World | undefined> {
    let w = await this.world(institutionId);
    if (!w || w.revision >= revision) return w;
    const committed = await this.store.currentRevision(institutionId);
    if (committed === undefined || committed < revision) return w;
    // A catch-up that began before that commit may miss it; the next one (started after) cannot.
    for (let attempt = 0; attempt < 3 && w && w.revision < revision; attempt++) {
      await this.catchUpOnce(institutionId);
      w = this.worlds.get(institutionId) ?? (await this.world(institutionId));
    }
    return w;
  }

  /** One catch-up from the changelog per institution at a time; callers in the meantime share it. */
  private catchUpOnce(institutionId: string): Promise<unknown> {
    let p = this.refreshing.get(institutionId);
    if (!p) {
      p = this.refresh(institutionId)
        .catch(() => undefined)
        .finally(() => this.refreshing.delete(institutionId));
      this.refreshing.set(institutionId, p);
    }
    return p;
  }

  /** An institution's world if this process has it loaded (never loads it). */
  loadedWorld(institutionId: string): World | undefined {
    return this.worlds.get(institutionId);
  }

  /** Forgets one institution's world; the next use loads it from the store again. */
  private forgetWorld(institutionId: string): void {
    this.worlds.delete(institutionId);
    this.residentRows -= this.worldRows.get(institutionId) ?? 0;
    this.worldRows.delete(institutionId);
    this.lastUse.delete(institutionId);
  }

  /** Forgets loaded worlds (after the store was reset underneath). */
  forget(): void {
    this.worlds.clear();
    this.worldRows.clear();
    this.lastUse.clear();
    this.residentRows = 0;
  }

  /** The principal for a user of an institution: a system admin reaches every institution. */
  principal(institutionId: string, userId: string): Principal {
    const home = this.worlds.get(institutionId);
    const systemAdmin = home?.holds(userId, 'system_admin') === true && home.user(userId)?.status === 'active';
    return { kind: 'user', institutionId, userId, systemAdmin };
  }

  /** A decision, from the world in memory; on an operation's action, the operation's own answer (SPEC §11). */
  check(world: World, principal: Principal, action: string, resource: string, context?: Record<string, unknown>, opts?: { explain?: boolean }): Decision {
    return judge(world, principal, action, resource, context, opts);
  }

  /** Runs one operation in an institution. Never throws for a refusal: it answers with it. */
  async run(principal: Principal, institutionId: string, op: string, args: Args = {}): Promise<Outcome> {
    /** Set once the world holds this write's changes, which the store has not committed yet. */
    let applied = false;
    try {
      if (op === 'institution.create') return await this.createInstitution(principal, args);
      const operation = typeof op === 'string' ? operationNamed(op) : undefined;
      if (!operation) return { status: 'invalid', code: 'unknownOperation', field: 'do', message: `do: '${String(op)}' is not an operation Lectern knows` };
      if (args === null || typeof args !== 'object' || Array.isArray(args)) throw invalid('with', 'must be a mapping of arguments');
      if (op === 'user.create' || op === 'user.update') this.assertProvider(args, institutionId);
      if (op === 'user.create') args = await this.fromDirectory(args);
      if (!(await this.world(institutionId))) {
        return { status: 'notFound', code: 'notFound', field: 'institution', message: `institution '${institutionId}' does not exist` };
      }
      return await this.store.write(institutionId, async (tx) => {
        const storeRevision = await tx.lock();
        const world = (await this.world(institutionId))!;
        if (storeRevision === undefined) {
          throw new Refused({ status: 'notFound', code: 'notFound', field: 'institution', message: `institution '${institutionId}' does not exist` });
        }
        if (world.revision < storeRevision) {
          for (const e of await tx.changesSince(world.revision)) world.applyRevision(e.revision, e.changes);
        }
        const { plan } = operation.evaluate(world, principal, args);
        if (plan.changes.length === 0) return { status: 'ok', revision: world.revision, changed: false, result: plan.result };
        const revision = storeRevision + 1;
        await tx.commit(revision, plan.changes, this.auditOf(world, new Actor(world, principal), op, plan));
        world.applyRevision(revision, plan.changes);
        applied = true;
        return { status: 'ok', revision, changed: true, result: plan.result };
      });
    } catch (e) {
      // The commit failed (e.g. the database dropped the connection) after the world applied the
      // write: the world is ahead of the store, so forget it and rebuild it from the store.
      if (applied) this.forgetWorld(institutionId);
      if (e instanceof Refused) return e.refusal;
      // The database's own constraints back the checks above; if one fires, the write rolled back.
      if (isUniqueViolation(e)) {
        return { status: 'conflict', code: 'duplicate', message: `a row with the same key already exists (${(e as { constraint?: string }).constraint ?? 'unique constraint'})` };
      }
      throw e;
    }
  }

  /**
   * Runs many operations (the rows of an import), each applied or refused on its own. A batch is
   * one transaction and one revision: every row is planned against the world as the rows before it
   * left it; refused rows add nothing. A dry run plans against a private copy of the world and
   * writes nothing, so it reports exactly what a real run would.
   */
  async runRows(principal: Principal, institutionId: string, given: readonly BatchRow[], opts: { dryRun?: boolean; scratch?: World; label?: string; timing?: { planMs: number } } = {}): Promise<RowResult[]> {
    const rows = await this.withDirectory(institutionId, given);
    if (opts.dryRun) {
      const scratch = opts.scratch ?? (await this.scratchWorld(institutionId));
      if (!scratch) throw new Error(`institution '${institutionId}' does not exist`);
      const t0 = performance.now();
      const out = rows.map((r) => this.planRow(scratch, principal, r, (changes) => {
        for (const c of changes) scratch.apply(c);
      }).result);
      if (opts.timing) opts.timing.planMs = performance.now() - t0;
      return out;
    }
    if (!(await this.world(institutionId))) throw new Error(`institution '${institutionId}' does not exist`);
    /** Set from the first change the world takes until the store has committed (or it was undone). */
    let dirty = false;
    try {
      return await this.store.write(institutionId, async (tx) => {
      const storeRevision = await tx.lock();
      const world = (await this.world(institutionId))!;
      if (storeRevision === undefined) throw new Error(`institution '${institutionId}' does not exist`);
      if (world.revision < storeRevision) for (const e of await tx.changesSince(world.revision)) world.applyRevision(e.revision, e.changes);
      const actor = new Actor(world, principal);
      const all: Change[] = [];
      const audit: ReturnType<Lectern['auditOf']>['changes'] = [];
      const undo: Change[] = [];
      // Planning holds the event loop (the world is not fit to be read until it is undone): timed for callers that size batches by it.
      const t0 = performance.now();
      const results = rows.map((r) =>
        this.planRow(world, principal, r, (changes) => {
          // Applied for the rows after this one to see, and undone before anyone else can look.
          for (const c of changes) {
            dirty = true;
            const before = world.current(c);
            audit.push({ table: c.table, key: rowKey(c), before: before ?? null, after: c.op === 'put' ? c.row : null });
            undo.push(before ? ({ table: c.table, op: 'put', row: before } as Change) : { ...c, op: 'del' });
            world.apply(c);
            all.push(c);
          }
        }).result,
      );
      for (let i = undo.length - 1; i >= 0; i--) world.apply(undo[i]!);
      dirty = false;
      if (opts.timing) opts.timing.planMs = performance.now() - t0;
      if (all.length === 0) return results;
      const revision = storeRevision + 1;
      await tx.commit(revision, all, { actor: actor.name, operation: opts.label ?? 'import', target: `institution:${institutionId}`, changes: audit });
      dirty = true;
      world.applyRevision(revision, all);
      for (const r of results) if (r.status === 'ok' && r.changed) r.revision = revision;
      return results;
    });
    } catch (e) {
      // A failure between the world taking changes and the commit: rebuild the world from the store.
      if (dirty) this.forgetWorld(institutionId);
      throw e;
    }
  }

  /** With identity providers configured, a user's provider is `local` or one of them. */
  private assertProvider(args: Args, institutionId?: string): void {
    const p = args.identityProvider;
    if (this.directories.size === 0 || p === undefined || p === null || p === 'local' || (typeof p === 'string' && this.directories.has(p))) return;
    // The institution's own sign-in providers (issue 14) are providers too.
    if (typeof p === 'string' && institutionId !== undefined && this.worlds.get(institutionId)?.tables.identityProvider.has(p)) return;
    throw invalid('identityProvider', `'${String(p)}' is not a configured identity provider (configured: local, ${[...this.directories.keys()].join(', ')})`, 'enum');
  }

  /**
   * For a user of an external identity provider, fills first name, last name and email from its
   * directory when they are not given (SPEC §9). Values given by the caller win.
   */
  async fromDirectory(args: Args): Promise<Args> {
    const provider = typeof args.identityProvider === 'string' ? args.identityProvider : undefined;
    if (!provider || provider === 'local' || (args.firstName && args.lastName && args.email)) return args;
    const dir = this.directories.get(provider);
    if (!dir) throw invalid('identityProvider', `'${provider}' is not a configured identity provider (configured: local${[...this.directories.keys()].map((k) => `, ${k}`).join('')})`, 'enum');
    const username = typeof args.username === 'string' ? args.username : typeof args.id === 'string' ? args.id : undefined;
    if (!username) throw invalid('username', 'is required to look the user up in the directory', 'required');
    const found = await dir.lookup(username);
    if (!found) throw new Refused({ status: 'notFound', code: 'notInDirectory', field: 'username', message: `'${username}' is not in the ${provider} directory` });
    return { ...args, firstName: args.firstName ?? found.firstName, lastName: args.lastName ?? found.lastName, email: args.email ?? found.email };
  }

  /**
   * Rows that create a user of an external identity provider (user.create, or a users-file row for
   * a user who does not exist yet) get their names and email from its directory first, as a single
   * user.create does; a row the directory cannot fill is refused on its own.
   */
  private async withDirectory(institutionId: string, rows: readonly BatchRow[]): Promise<readonly BatchRow[]> {
    if (this.directories.size === 0) return rows;
    const w = this.worlds.get(institutionId);
    return Promise.all(
      rows.map(async (r): Promise<BatchRow> => {
        if ('refusal' in r || (r.op !== 'user.create' && r.op !== 'import.users')) return r;
        if (r.op === 'import.users' && (r.args.action === 'update' || r.args.action === 'delete' || (typeof r.args.id === 'string' && w?.user(r.args.id)))) return r;
        try {
          return { ...r, args: await this.fromDirectory(r.args) };
        } catch (e) {
          if (e instanceof Refused) return { line: r.line, refusal: e.refusal };
          return { line: r.line, refusal: { status: 'conflict', code: 'directoryUnavailable', field: 'identityProvider', message: (e as Error).message } };
        }
      }),
    );
  }

  /** A private copy of an institution's world, for dry runs. */
  async scratchWorld(institutionId: string): Promise<World | undefined> {
    const w = await this.refresh(institutionId);
    return w ? World.build(institutionId, w.revision, w.snapshot()) : undefined;
  }

  private planRow(world: World, principal: Principal, row: BatchRow, apply: (changes: Change[]) => void): { result: RowResult } {
    if ('refusal' in row) return { result: { line: row.line, ...row.refusal } };
    const operation = operationNamed(row.op);
    if (!operation) return { result: { line: row.line, status: 'invalid', code: 'unknownOperation', message: `'${row.op}' is not an operation` } };
    try {
      const { plan } = operation.evaluate(world, principal, row.args);
      apply(plan.changes);
      return { result: { line: row.line, status: 'ok', changed: plan.changes.length > 0, ...(plan.result !== undefined ? { result: plan.result } : {}) } };
    } catch (e) {
      if (e instanceof Refused) return { result: { line: row.line, ...e.refusal } };
      throw e;
    }
  }

  private auditOf(world: World, actor: Actor, op: string, plan: Plan) {
    return {
      actor: actor.name,
      operation: op,
      target: plan.target,
      changes: plan.changes.map((c) => ({
        table: c.table,
        key: rowKey(c),
        before: world.current(c) ?? null,
        after: c.op === 'put' ? c.row : null,
      })),
    };
  }

  private async createInstitution(principal: Principal, args: Args): Promise<Outcome> {
    const a = readArgs(INSTITUTION_CREATE, args);
    const institutionId = a.id;
    const name = a.name;
    const row: InstitutionRow = {
      institutionId,
      name,
      delegatedAdministration: a.delegatedAdministration ?? false,
      studentLibrary: a.studentLibrary ?? true,
      personalCaptureLicensing: a.personalCaptureLicensing ?? 'packs',
      activityRetentionDays: a.activityRetentionDays ?? 365,
    };
    if (principal.kind === 'user' && !principal.systemAdmin) {
      return { status: 'denied', code: 'denied', message: 'only a system admin creates institutions', reasons: ['only a system admin creates institutions'] };
    }
    if (await this.store.currentRevision(institutionId) !== undefined) {
      return { status: 'conflict', code: 'duplicateId', field: 'id', message: `institution '${institutionId}' already exists` };
    }
    const root: UnitRow = { institutionId, id: institutionId, parentId: null, name: a.rootName ?? name };
    const changes: Change[] = [
      { table: 'institution', op: 'put', row },
      { table: 'unit', op: 'put', row: root },
    ];
    try {
      await this.store.createInstitution(row, changes, {
        actor: principal.kind === 'user' ? `${principal.institutionId}/${principal.userId}` : 'Lectern (system)',
        operation: 'institution.create',
        target: `institution:${institutionId}`,
        changes: changes.map((c) => ({ table: c.table, key: rowKey(c), before: null, after: c.row })),
      });
    } catch (e) {
      if (isUniqueViolation(e)) return { status: 'conflict', code: 'duplicateId', field: 'id', message: `institution '${institutionId}' already exists` };
      throw e;
    }
    const w = World.build(institutionId, 1, changes);
    this.keep(institutionId, w, changes.length);
    return { status: 'ok', revision: 1, changed: true, result: row };
  }
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === '23505';
}
