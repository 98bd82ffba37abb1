/**
 * "What would change?" (issue 21, docs/PREVIEW.md): runs any operation, as its caller would, on the
 * world at its current revision without writing it, and reports who gains and who loses which
 * watched capability (policy/impact.ts) on which objects — counted per capability and listed a
 * page at a time. A refused operation answers with its refusal, and nothing else.
 *
 * The operation's changes are applied to the institution's world in memory and undone again inside
 * one synchronous call (as composite operations and batches already do), so nobody else ever sees
 * them; nothing reaches the store. Every answer compared is a real decision (services/agree.ts's
 * `judge`, the checks' own entry) in each world. What keeps it fast is asking few of them:
 *
 * - only objects the changes can reach are visited (policy's `reachOfChange`, read in both worlds);
 * - on a visited object, only the capabilities its state change can move are asked, unless a
 *   person's standing towards it changed too (policy's `stateOf`, `capabilitiesMoved`);
 * - people are asked in groups that share their standing in both worlds (policy's `baseOf`,
 *   `reachOf`, `relationOf`): the members of a section by role, the staff by their reach over the
 *   object's units, everyone else by their base; only the few with a relation of their own (owner,
 *   sharee, collection or library member, staff enrolled there) are asked one by one.
 *
 * test/property/preview.test.ts compares the result with asking every person every watched
 * capability on every object in both worlds.
 */
import { type Refusal, Refused } from '../domain/outcome.js';
import type { Change } from '../domain/rows.js';
import { describeLevel, type Principal } from '../policy/index.js';
import {
  abstractStateOf,
  baseOf,
  CAPABILITIES,
  type Capability,
  capabilitiesMoved,
  objectIds,
  type ObjectState,
  principalOf,
  reachOf,
  reachOfChange,
  reachUnits,
  relationOf,
  sectionsOf,
  specialUsers,
  stateOf,
  WATCHED_TYPES,
  type WatchedType,
} from '../policy/impact.js';
import type { World } from '../world/world.js';
import { judge } from './agree.js';
import type { Operation } from './operation.js';
import { type Lectern, operationNamed } from './lectern.js';

export const PREVIEW_DEFAULT_LIMIT = 50;
export const PREVIEW_MAX_LIMIT = 1000;

export interface PreviewOptions {
  /** Items listed (default 50, at most 1000). */
  limit?: number;
  /** Items skipped before the page (default 0). */
  offset?: number;
  /** The time downloads are asked at (ISO date or time; default now). */
  at?: string;
}

export interface Tally {
  /** Distinct people. */
  users: number;
  /** Distinct objects. */
  objects: number;
  /** (person, object) pairs. */
  pairs: number;
  /** For media: the distinct sections those media are published in. */
  sections?: number;
}

export interface CapabilityImpact {
  capability: string;
  action: string;
  type: WatchedType;
  gained: Tally;
  lost: Tally;
}

export interface ImpactItem {
  user: string;
  capability: string;
  object: string;
  change: 'gain' | 'loss';
}

export interface PreviewNote {
  code: string;
  message: string;
}

export type PreviewResult =
  | { status: 'refused'; revision: number; refusal: Refusal }
  | {
      status: 'ok';
      revision: number;
      /** Rows the operation would write; 0 means it would change nothing. */
      changes: number;
      target: string;
      at: string;
      impact: CapabilityImpact[];
      items: ImpactItem[];
      /** Items in the whole list (gains and losses), of which `items` is the page from `offset`. */
      total: number;
      offset: number;
      limit: number;
      notes: PreviewNote[];
      /** How much was asked: objects visited and decisions made (both worlds). */
      cost: { objects: number; decisions: number };
    };

type Side = 0 | 1; // 0: the world as it is; 1: with the operation applied

/** Runs `fn` with `changes` applied to `w`, then undoes them (even when `fn` throws). */
export function withChanges<T>(w: World, changes: readonly Change[], fn: () => T): T {
  const undo: Change[] = [];
  try {
    for (const c of changes) {
      const before = w.current(c);
      undo.push(before ? ({ table: c.table, op: 'put', row: before } as Change) : { ...c, op: 'del' });
      w.apply(c);
    }
    return fn();
  } finally {
    for (let i = undo.length - 1; i >= 0; i--) w.apply(undo[i]!);
  }
}

interface Obj {
  type: WatchedType;
  id: string;
  /** Named by a change; any other object keeps its state and its special people (only standing moves there). */
  named: boolean;
  state: [ObjectState | undefined, ObjectState | undefined];
  sections: [readonly string[], readonly string[]];
  reach: [string[], string[]];
  special: [string[], string[]];
  /** The section whose plain members are asked by role, when the object has one section in both worlds. */
  pool?: string;
  individuals: string[];
  sig: [string[], string[]];
  pooled?: boolean;
  /** The capabilities the object's own state moves (indexes). */
  stateCaps?: number[];
}

interface Group {
  keys: [string, string];
  members: string[];
  /** The keys with the pool's letter in front, made once (see `Ask.standing`). */
  standing?: [string, string];
}

interface Ask {
  obj: Obj;
  rep: string;
  /** The group's standing in each world, as a key that names no object (for the answers shared across objects). */
  standing: [string, string];
  /** Capability indexes asked. */
  caps: number[];
  /** Who the answer stands for on this object. */
  /** Who the answer stands for: the group's members less those asked apart on this object. */
  group: readonly string[];
  /** 0: all of `group`; 1: less the object's individuals; 2: less its individuals and its section's members. */
  less: 0 | 1 | 2;
  bits: [number, number];
}

const NONE: number[] = [];
const capsCache = new Map<string, number[]>();
/** The indexes among `all` of the capabilities in `moved`, one shared array per distinct set. */
function capsAmong(type: WatchedType, moved: ReadonlySet<string>): number[] {
  const all = CAPS_OF[type];
  const key = `${type}:${[...moved].sort().join(',')}`;
  let out = capsCache.get(key);
  if (!out) capsCache.set(key, (out = all.filter((i) => moved.has(CAPABILITIES[i]!.id))));
  return out;
}
const capsKeys = new Map<number[], number>();
const capsKeyOf = (caps: number[]): number => {
  let k = capsKeys.get(caps);
  if (k === undefined) capsKeys.set(caps, (k = capsKeys.size));
  return k;
};

/** The state of an object no change names: the same in both worlds by construction. */
const UNNAMED: ObjectState = { base: 'unnamed', toggles: [] };

const CAP_INDEX = new Map(CAPABILITIES.map((c, i) => [c.id, i]));
const CAPS_OF: Record<WatchedType, number[]> = { unit: [], section: [], media: [] };
CAPABILITIES.forEach((c, i) => CAPS_OF[c.type].push(i));

/**
 * The preview of one operation by `principal` on `world` (at its current revision). Throws only on
 * a bug; a refusal is an answer.
 */
export function preview(world: World, principal: Principal, op: Operation, args: unknown, opts: PreviewOptions = {}): PreviewResult {
  const revision = world.revision;
  if (opts.at !== undefined && Number.isNaN(Date.parse(opts.at))) {
    return { status: 'refused', revision, refusal: { status: 'invalid', code: 'format', field: 'at', message: `at: '${opts.at}' is not a date or time` } };
  }
  let changes: Change[];
  let target: string;
  try {
    const { plan } = op.evaluate(world, principal, args);
    changes = plan.changes;
    target = plan.target;
  } catch (e) {
    if (e instanceof Refused) return { status: 'refused', revision, refusal: e.refusal };
    throw e;
  }
  const limit = Math.max(0, Math.min(PREVIEW_MAX_LIMIT, Math.floor(opts.limit ?? PREVIEW_DEFAULT_LIMIT)));
  const offset = Math.max(0, Math.floor(opts.offset ?? 0));
  const at = opts.at ?? new Date().toISOString();
  const empty = { status: 'ok' as const, revision, changes: changes.length, target, at, offset, limit };
  if (changes.length === 0) {
    return { ...empty, impact: [], items: [], total: 0, notes: [{ code: 'unchanged', message: 'the operation would change nothing' }], cost: { objects: 0, decisions: 0 } };
  }
  const run = new Impact(world, changes, at);
  const { impact, items, total, cost } = run.compute(offset, limit);
  return { ...empty, impact, items, total, notes: notesFor(world, changes), cost };
}

class Impact {
  /** Objects a change names (its state or relations may move), and with `everything`, all others too. */
  private readonly objects = new Map<string, { type: WatchedType; id: string; named: boolean }>();
  private everything = false;
  private everyone = false;
  private reachMoves = false;
  private readonly touchedUsers = new Set<string>();
  private readonly enrollmentChanged = new Set<string>();
  /** Copies of changed sections' enrollments, per side. */
  private readonly enrolled: [Map<string, Map<string, string>>, Map<string, Map<string, string>>] = [new Map(), new Map()];
  private readonly staff: [Set<string>, Set<string>] = [new Set(), new Set()];
  /** Bases of the touched users (or of everyone), per side. */
  private readonly bases: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];
  private readonly users = new Set<string>();
  /** Staff reach per reach-units key, per side. */
  private readonly reachCache: [Map<string, Map<string, string>>, Map<string, Map<string, string>>] = [new Map(), new Map()];
  private decisions = 0;

  constructor(
    private readonly w: World,
    private readonly changes: readonly Change[],
    private readonly at: string,
  ) {}

  private gather(side: Side): void {
    const w = this.w;
    const sink = {
      object: (type: WatchedType, id: string) => this.objects.set(`${type}:${id}`, { type, id, named: true }),
      everything: () => (this.everything = true),
      user: (id: string) => this.touchedUsers.add(id),
      everyone: () => (this.everyone = true),
      enrollments: (sectionId: string) => this.enrollmentChanged.add(sectionId),
      reachMoves: () => (this.reachMoves = true),
    };
    for (const c of this.changes) reachOfChange(w, c, sink);
    if (this.everything) {
      for (const type of WATCHED_TYPES) {
        for (const id of objectIds(w, type)) {
          const k = `${type}:${id}`;
          if (!this.objects.has(k)) this.objects.set(k, { type, id, named: false });
        }
      }
    }
    for (const s of this.enrollmentChanged) this.enrolled[side].set(s, new Map(w.enrolled(s)));
    for (const u of w.usersWithGrants()) this.staff[side].add(u);
    for (const u of w.users.keys()) this.users.add(u);
  }

  /** The facts of every visited object in the current world (`side`). */
  private facts(side: Side, objs: Obj[]): void {
    const w = this.w;
    const people = this.everyone || this.reachMoves;
    const cache = new Map<string, string[]>();
    for (const o of objs) {
      o.sections[side] = [...sectionsOf(w, o.type, o.id)];
      o.reach[side] = reachUnits(w, o.type, o.id);
      if (o.named) {
        o.state[side] = stateOf(w, o.type, o.id, cache);
        o.special[side] = specialUsers(w, o.type, o.id);
      } else {
        o.state[side] = UNNAMED;
        // Asked in groups only when everyone's standing may move; then the special people stand apart.
        if (people) o.special[side] = specialUsers(w, o.type, o.id);
      }
    }
    if (this.everyone) for (const u of this.users) this.bases[side].set(u, baseOf(w, u));
    else for (const u of this.touchedUsers) this.bases[side].set(u, baseOf(w, u));
  }

  private readonly sameBase = new Map<string, string>();

  private base(side: Side, u: string): string {
    const b = this.bases[side].get(u);
    if (b !== undefined) return b;
    // An untouched person's base is the same in both worlds.
    let same = this.sameBase.get(u);
    if (same === undefined) this.sameBase.set(u, (same = baseOf(this.w, u)));
    return same;
  }

  private isStaff(u: string): boolean {
    return this.staff[0].has(u) || this.staff[1].has(u);
  }

  /** The members of a section in one world (from the copy when its enrollments change). */
  private roster(side: Side, s: string): ReadonlyMap<string, string> {
    return this.enrolled[side].get(s) ?? this.w.enrolled(s);
  }

  private readonly poolCache = new Map<string, { all: Set<string>; staff: string[]; groups: Group[] }>();

  /** A section's plain members (not staff), by role and base in both worlds; and its staff members. */
  private sectionPool(s: string) {
    let p = this.poolCache.get(s);
    if (p) return p;
    const all = new Set<string>();
    const staff: string[] = [];
    const byKey = new Map<string, Group>();
    for (const side of [0, 1] as const) {
      for (const u of this.roster(side, s).keys()) {
        if (all.has(u) || staff.includes(u)) continue;
        if (this.isStaff(u)) {
          staff.push(u);
          continue;
        }
        all.add(u);
        const keys: [string, string] = [`${this.roster(0, s).get(u) ?? '-'}|${this.base(0, u)}`, `${this.roster(1, s).get(u) ?? '-'}|${this.base(1, u)}`];
        const k = keys.join('>');
        let g = byKey.get(k);
        if (!g) byKey.set(k, (g = { keys, members: [] }));
        g.members.push(u);
      }
    }
    p = { all, staff, groups: [...byKey.values()] };
    this.poolCache.set(s, p);
    return p;
  }

  private staffReach(side: Side, units: string[]): Map<string, string> {
    const key = units.join('|');
    let m = this.reachCache[side].get(key);
    if (!m) {
      m = new Map();
      for (const u of this.staff[0]) m.set(u, reachOf(this.w, u, units));
      for (const u of this.staff[1]) if (!m.has(u)) m.set(u, reachOf(this.w, u, units));
      this.reachCache[side].set(key, m);
    }
    return m;
  }

  private readonly staffPools = new Map<string, Group[]>();

  private staffPool(o: Obj): Group[] {
    const kb = o.reach[0].join('|');
    const ka = o.reach[1].join('|');
    const key = kb + '>' + ka;
    let groups = this.staffPools.get(key);
    if (groups) return groups;
    const rb = this.reachCache[0].get(kb)!;
    const ra = this.reachCache[1].get(ka)!;
    const byKey = new Map<string, Group>();
    const seen = new Set<string>();
    for (const set of this.staff) {
      for (const u of set) {
        if (seen.has(u)) continue;
        seen.add(u);
        const keys: [string, string] = [`${this.base(0, u)}#${rb.get(u)}`, `${this.base(1, u)}#${ra.get(u)}`];
        const k = keys.join('>');
        let g = byKey.get(k);
        if (!g) byKey.set(k, (g = { keys, members: [] }));
        g.members.push(u);
      }
    }
    groups = [...byKey.values()];
    this.staffPools.set(key, groups);
    return groups;
  }

  private strangerGroups: Group[] | undefined;

  /** Everyone who is not staff, by base in both worlds. */
  private strangers(): Group[] {
    if (this.strangerGroups) return this.strangerGroups;
    const byKey = new Map<string, Group>();
    for (const u of this.users) {
      if (this.isStaff(u)) continue;
      const keys: [string, string] = [this.base(0, u), this.base(1, u)];
      const k = keys.join('>');
      let g = byKey.get(k);
      if (!g) byKey.set(k, (g = { keys, members: [] }));
      g.members.push(u);
    }
    return (this.strangerGroups = [...byKey.values()]);
  }

  /**
   * Whether people on `o` are asked in groups: when its state moved, or anyone's base or reach may
   * have. Otherwise only those whose own standing changed (the touched people) can answer differently.
   */
  private pooled(o: Obj): boolean {
    const moved = capabilitiesMoved(o.state[0], o.state[1]);
    const all = CAPS_OF[o.type];
    o.stateCaps = moved === 'all' ? all : moved.size === 0 ? NONE : capsAmong(o.type, moved);
    return o.stateCaps.length > 0 || this.everyone || this.reachMoves;
  }

  /** Who on `o` is asked one by one. */
  private individualsOf(o: Obj): string[] {
    const out = new Set<string>([...o.special[0], ...o.special[1]]);
    if (!o.pooled) {
      for (const u of this.touchedUsers) out.add(u);
      return [...out];
    }
    const [sb, sa] = o.sections;
    if (sb.length === 1 && sa.length === 1 && sb[0] === sa[0]) {
      o.pool = sb[0]!;
      for (const u of this.sectionPool(o.pool).staff) out.add(u);
    } else {
      for (const side of [0, 1] as const) for (const s of o.sections[side]) for (const u of this.roster(side, s).keys()) out.add(u);
    }
    return [...out];
  }

  private sigs(side: Side, objs: Obj[]): void {
    const w = this.w;
    for (const o of objs) {
      const reach = this.staffReach(side, o.reach[side]);
      o.sig[side] = o.individuals.map((u) => `${this.base(side, u)}#${reach.get(u) ?? '-'}#${relationOf(w, u, o.type, o.id, o.sections[side])}`);
    }
  }

  /**
   * Answers every ask in the current world. People of the same standing towards objects of the
   * same abstract state (policy's `abstractStateOf`: no ids) get the same answers, so each such
   * pair is decided once: a toggle at a faculty asks about as many questions as there are kinds of
   * media there, not media.
   */
  private decide(side: Side, asks: Ask[]): void {
    const w = this.w;
    const principals = new Map<string, Principal>();
    const abstract = new Map<Obj, Map<string, number[]>>();
    const kinds = new Map<string, Map<string, number[]>>();
    const cache = new Map<string, string>();
    for (const a of asks) {
      let memo = abstract.get(a.obj);
      if (memo === undefined) {
        const kind = abstractStateOf(w, a.obj.type, a.obj.id, cache);
        memo = kinds.get(kind);
        if (!memo) kinds.set(kind, (memo = new Map()));
        abstract.set(a.obj, memo);
      }
      let byCaps = memo.get(a.standing[side]);
      if (!byCaps) memo.set(a.standing[side], (byCaps = []));
      const ck = capsKeyOf(a.caps);
      const known = byCaps[ck];
      if (known !== undefined) {
        a.bits[side] = known;
        continue;
      }
      let p = principals.get(a.rep);
      if (!p) principals.set(a.rep, (p = principalOf(w, a.rep)));
      let bits = 0;
      for (const i of a.caps) {
        const c: Capability = CAPABILITIES[i]!;
        const context = c.timed ? { ...c.context, at: this.at } : c.context;
        this.decisions++;
        if (judge(w, p, c.action, { type: a.obj.type, id: a.obj.id }, context, { explain: false }).allow) bits |= 1 << i;
      }
      byCaps[ck] = bits;
      a.bits[side] = bits;
    }
  }

  compute(offset: number, limit: number) {
    const w = this.w;
    // Where the changes can reach, seen from both worlds.
    this.gather(0);
    let objs: Obj[] = [];
    withChanges(w, this.changes, () => {
      this.gather(1);
      objs = [...this.objects.values()]
        .map(({ type, id, named }) => ({ type, id, named, state: [undefined, undefined], sections: [[], []], reach: [[], []], special: [[], []], individuals: [], sig: [[], []] }) as Obj)
        .sort((a, b) => (a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : WATCHED_TYPES.indexOf(b.type) - WATCHED_TYPES.indexOf(a.type)));
      this.facts(1, objs);
    });
    this.facts(0, objs);
    for (const o of objs) {
      o.pooled = this.pooled(o);
      o.individuals = this.individualsOf(o);
    }
    this.sigs(0, objs);
    const asks: Ask[] = [];
    withChanges(w, this.changes, () => {
      this.sigs(1, objs);
      for (const o of objs) asks.push(...this.asksOf(o));
      this.decide(1, asks);
    });
    this.decide(0, asks);
    return { ...this.tally(asks, offset, limit), cost: { objects: objs.length, decisions: this.decisions } };
  }

  /** The groups on one object whose answers can differ between the worlds, with the capabilities to ask. */
  private asksOf(o: Obj): Ask[] {
    const all = CAPS_OF[o.type];
    const stateCaps = o.stateCaps!;
    const out: Ask[] = [];
    const ask = (standing: [string, string], rep: string | undefined, group: readonly string[], less: 0 | 1 | 2) => {
      if (rep === undefined) return;
      const caps = standing[0] !== standing[1] ? all : stateCaps;
      if (caps.length > 0) out.push({ obj: o, rep, standing, caps, group, less, bits: [0, 0] });
    };
    const indiv = new Set(o.individuals);
    o.individuals.forEach((u, i) => ask(['I' + o.sig[0][i]!, 'I' + o.sig[1][i]!], u, [u], 0));
    if (!o.pooled) return out;
    const pool = o.pool !== undefined ? this.sectionPool(o.pool) : undefined;
    const outside = (u: string) => !indiv.has(u);
    const standing = (letter: string, g: Group) => (g.standing ??= [letter + g.keys[0], letter + g.keys[1]]);
    if (pool) for (const g of pool.groups) ask(standing('P', g), g.members.find(outside), g.members, 1);
    for (const g of this.staffPool(o)) ask(standing('T', g), g.members.find(outside), g.members, 1);
    const stranger = (u: string) => !indiv.has(u) && !(pool?.all.has(u) ?? false);
    for (const g of this.strangers()) ask(standing('X', g), g.members.find(stranger), g.members, 2);
    return out;
  }

  private membersOf(a: Ask): readonly string[] {
    if (a.less === 0) return a.group;
    const o = a.obj;
    const indiv = new Set(o.individuals);
    const pool = a.less === 2 && o.pool !== undefined ? this.sectionPool(o.pool).all : undefined;
    return a.group.filter((u) => !indiv.has(u) && !(pool?.has(u) ?? false));
  }

  private tally(asks: Ask[], offset: number, limit: number) {
    interface Acc {
      users: Set<string>;
      objects: Set<string>;
      pairs: number;
      sections: Set<string>;
    }
    const acc = () => ({ users: new Set<string>(), objects: new Set<string>(), pairs: 0, sections: new Set<string>() });
    const per = CAPABILITIES.map(() => ({ gained: acc(), lost: acc() }) as { gained: Acc; lost: Acc });
    const items: ImpactItem[] = [];
    let total = 0;
    for (const a of asks) {
      const gained = a.bits[1] & ~a.bits[0];
      const lost = a.bits[0] & ~a.bits[1];
      if (gained === 0 && lost === 0) continue;
      const members = this.membersOf(a);
      const object = `${a.obj.type}:${a.obj.id}`;
      for (const i of a.caps) {
        const bit = 1 << i;
        const change = gained & bit ? 'gain' : lost & bit ? 'loss' : undefined;
        if (!change) continue;
        const t = change === 'gain' ? per[i]!.gained : per[i]!.lost;
        t.objects.add(object);
        t.pairs += members.length;
        for (const u of members) t.users.add(u);
        if (a.obj.type === 'media') for (const side of [0, 1] as const) for (const s of a.obj.sections[side]) t.sections.add(s);
        const capability = CAPABILITIES[i]!.id;
        for (const u of members) {
          if (total >= offset && items.length < limit) items.push({ user: u, capability, object, change });
          total++;
        }
      }
    }
    const impact: CapabilityImpact[] = [];
    CAPABILITIES.forEach((c, i) => {
      const p = per[i]!;
      if (p.gained.pairs === 0 && p.lost.pairs === 0) return;
      const out = (t: Acc): Tally => ({ users: t.users.size, objects: t.objects.size, pairs: t.pairs, ...(c.type === 'media' ? { sections: t.sections.size } : {}) });
      impact.push({ capability: c.id, action: c.action, type: c.type, gained: out(p.gained), lost: out(p.lost) });
    });
    return { impact, items, total };
  }
}

/** Notes a reader needs beside the counts: the locks and overrides below a changed setting, the locks a moved unit comes under. */
function notesFor(w: World, changes: readonly Change[]): PreviewNote[] {
  const notes: PreviewNote[] = [];
  for (const c of changes) {
    if (c.table === 'setting' && c.row.scopeType === 'unit' && w.tree.units.has(c.row.scopeId)) {
      const { key, scopeId } = c.row;
      const locks: string[] = [];
      const overrides: string[] = [];
      for (const u of w.tree.units.keys()) {
        if (u === scopeId || !w.tree.within(u, scopeId)) continue;
        const s = w.settingsAt('unit', u)?.get(key);
        if (s) (s.allowsOverride ? overrides : locks).push(describeLevel(w, { scopeType: 'unit', scopeId: u }));
      }
      for (const sec of w.tables.section.keys()) {
        const s = w.settingsAt('section', sec)?.get(key);
        const u = s ? w.sectionUnit(sec) : undefined;
        if (s && u !== undefined && w.tree.within(u, scopeId)) (s.allowsOverride ? overrides : locks).push(describeLevel(w, { scopeType: 'section', scopeId: sec }));
      }
      const where = describeLevel(w, { scopeType: 'unit', scopeId });
      const list = (xs: string[]) => (xs.length === 0 ? 'none' : xs.length <= 10 ? xs.join(', ') : `${xs.slice(0, 10).join(', ')} and ${xs.length - 10} more`);
      notes.push({ code: 'locksBelow', message: `${key} below ${where}: locks below it: ${list(locks)}; levels that set their own value: ${list(overrides)}` });
      if (!c.row.allowsOverride && c.op === 'put') notes.push({ code: 'lock', message: `${key} would be locked at ${where}: nothing below it may set its own value` });
    }
    if (c.table === 'unit' && c.op === 'put') {
      const cur = w.tree.units.get(c.row.id);
      if (cur && cur.parentId !== c.row.parentId && c.row.parentId !== null) {
        const from = w.tree.name(cur.parentId ?? w.rootId);
        const to = w.tree.name(c.row.parentId);
        notes.push({ code: 'move', message: `${w.tree.name(c.row.id)} would move from ${from} to ${to}: the settings and admins of ${to} and above would reach it instead of those of ${from}` });
      }
    }
    if (c.table === 'institution' && c.op === 'put' && c.row.delegatedAdministration !== w.institution.delegatedAdministration) {
      notes.push({
        code: 'delegatedAdministration',
        message: c.row.delegatedAdministration
          ? 'turning delegated administration on: admins keep rights only where they are listed (admins with no listed unit are listed at the root, so they keep theirs)'
          : 'turning delegated administration off: admins listed at units keep only those units; nobody is promoted',
      });
    }
  }
  return notes;
}

/** The capability index of an id (`media.download:video`), for callers that filter. */
export const capabilityIndex = (id: string): number | undefined => CAP_INDEX.get(id);

/** Why an operation cannot be previewed at all (unknown, or one that needs no world), else undefined. */
export function notPreviewable(name: string): Refusal | undefined {
  if (name === 'institution.create') return { status: 'invalid', code: 'notPreviewable', field: 'do', message: 'do: institution.create makes a new institution; there is no world to preview it in' };
  if (!operationNamed(name)) return { status: 'invalid', code: 'unknownOperation', field: 'do', message: `do: '${name}' is not an operation Lectern knows` };
  return undefined;
}

/**
 * The preview of operation `name` with `args` by `principal` in an institution, on its world caught
 * up to the store's latest revision. Unknown operations and a missing institution are refusals too.
 */
export async function previewOperation(lectern: Lectern, principal: Principal, institutionId: string, name: string, args: unknown, opts: PreviewOptions = {}): Promise<PreviewResult> {
  const bad = notPreviewable(name);
  const world = await lectern.refresh(institutionId);
  if (bad) return { status: 'refused', revision: world?.revision ?? 0, refusal: bad };
  if (!world) return { status: 'refused', revision: 0, refusal: { status: 'notFound', code: 'notFound', field: 'institution', message: `institution '${institutionId}' does not exist` } };
  return preview(world, principal, operationNamed(name)!, args, opts);
}
