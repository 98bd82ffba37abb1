/**
 * The audit log as sentences (issue 17): "Helen Fischer revoked Nana Kamau's license ID
 * 2026-08-01-000001". Names, not ids: people and objects are looked up in the institution's world,
 * and — for what has since been deleted or renamed — in the changelog rows the entries carry
 * (a deleted user's row is in the `before` of their deletion). Built on the server, once, for
 * every client.
 */
import { ROLE_LABEL } from '../domain/catalog.js';
import type { World } from '../world/world.js';

export interface AuditItem {
  revision: number | null;
  at: Date;
  actor: string;
  operation: string;
  target: string;
  outcome?: string;
  address?: string;
  detail?: unknown;
  changes: { table: string; key: string; before: unknown; after: unknown }[];
}

type Row = Record<string, unknown>;
const rowOf = (v: unknown): Row | undefined => (v && typeof v === 'object' ? (v as Row) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Names of people and things, from the world and then from the rows in the entries. */
export class Names {
  private readonly fromLog = new Map<string, string>();
  constructor(private readonly w: World) {}

  /** Learns names from the changelog rows of these entries (deleted users, renamed units...). */
  learn(items: readonly AuditItem[]): void {
    for (const e of items) {
      for (const c of e.changes) {
        for (const r of [rowOf(c.before), rowOf(c.after)]) {
          if (!r) continue;
          const id = str(r.id);
          if (!id) continue;
          const name = c.table === 'user' ? [str(r.firstName), str(r.lastName)].filter(Boolean).join(' ') : (str(r.name) ?? str(r.title) ?? str(r.displayName));
          if (name && !this.fromLog.has(`${c.table}:${id}`)) this.fromLog.set(`${c.table}:${id}`, name);
        }
      }
    }
  }

  /** A person: "Helen Fischer", else the id as recorded. */
  person(id: string): string {
    const u = this.w.user(id);
    if (u && (u.firstName || u.lastName)) return `${u.firstName} ${u.lastName}`.trim();
    return this.fromLog.get(`user:${id}`) ?? id;
  }

  /** A thing: "Nana Kamau", "unit Faculty of Science", "collection Mechanics demonstrations". */
  thing(ref: string): string {
    const i = ref.indexOf(':');
    if (i < 0) return ref;
    const type = ref.slice(0, i);
    const id = ref.slice(i + 1);
    if (type === 'user') return this.person(id);
    if (type === 'institution') return this.w.institution.name || id;
    const table = (this.w.tables as unknown as Record<string, Map<string, Row> | undefined>)[type];
    const row = table?.get(id);
    const name = (row && (str(row.name) ?? str(row.title) ?? str(row.displayName))) ?? this.fromLog.get(ref);
    const kind = KIND[type] ?? type;
    return name && name !== id ? `${kind} ${name}` : `${kind} ${id}`;
  }
}

const KIND: Record<string, string> = { identityProvider: 'sign-in provider', licensePack: 'license pack', ltiPlatform: 'LMS platform' };

const possessive = (name: string) => (name.endsWith('s') ? `${name}'` : `${name}'s`);

/** Packs in the license rows an entry changed: [added, removed]. */
function packs(e: AuditItem): [string[], string[]] {
  const added: string[] = [];
  const removed: string[] = [];
  for (const c of e.changes) {
    if (c.table !== 'licenseAssignment') continue;
    const b = rowOf(c.before);
    const a = rowOf(c.after);
    if (a && !b && str(a.packId)) added.push(str(a.packId)!);
    if (b && !a && str(b.packId)) removed.push(str(b.packId)!);
  }
  return [added, removed];
}

const list = (xs: string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

const PAST: Record<string, string> = {
  create: 'created',
  update: 'changed',
  delete: 'deleted',
  deactivate: 'deactivated',
  reactivate: 'reactivated',
  move: 'moved',
  rename: 'renamed',
  grant: 'granted',
  revoke: 'revoked',
  assign: 'assigned',
  configure: 'configured',
  set: 'set',
  clear: 'cleared',
  publish: 'published',
  unpublish: 'unpublished',
  share: 'shared',
  unshare: 'stopped sharing',
  enroll: 'enrolled',
  unenroll: 'unenrolled',
  post: 'posted',
  add: 'added',
  remove: 'removed',
  import: 'imported',
};

/** The sentence for one entry. */
export function sentence(n: Names, e: AuditItem): string {
  const who = n.person(e.actor);
  const what = n.thing(e.target);
  const [added, removed] = packs(e);
  const afterRow = rowOf(e.changes[0]?.after);
  const beforeRow = rowOf(e.changes[0]?.before);
  switch (e.operation) {
    case 'session.signIn':
      return e.outcome === 'ok' ? `${what} signed in${e.address ? ` from ${e.address}` : ''}` : `A sign-in as ${what} was refused (${e.outcome ?? 'refused'})${e.address ? ` from ${e.address}` : ''}`;
    case 'session.signOut':
      return `${what} signed out`;
    case 'sso.signIn':
      return `${who} signed in through single sign-on`;
    case 'sso.refused':
      return `A single sign-on${e.actor !== who || n.person(e.actor) !== e.actor ? ` as ${who}` : ''} was refused`;
    case 'token.create':
      return `${who} created an API token for ${what}`;
    case 'token.revoke':
      return `${who} revoked an API token of ${what}`;
    case 'license.assign':
    case 'license.autoassign':
      return added.length ? `${who} assigned ${what} a seat of ${list(added)}` : `${who} assigned ${what} a license (nothing changed)`;
    case 'license.revoke':
    case 'license.revokeall':
      return removed.length ? `${who} revoked ${possessive(what)} license ${list(removed)}` : `${who} revoked ${possessive(what)} licenses (none were held)`;
    case 'role.grant':
    case 'role.revoke': {
      const r = (e.operation === 'role.grant' ? afterRow : beforeRow) ?? {};
      const role = ROLE_LABEL[str(r.role) as keyof typeof ROLE_LABEL] ?? str(r.role) ?? 'a role';
      const scope = str(r.scopeType) === 'unit' && str(r.scopeId) ? ` at ${n.thing(`unit:${str(r.scopeId)}`).replace(/^unit /, '')}` : '';
      return e.operation === 'role.grant' ? `${who} made ${what} ${role}${scope}` : `${who} removed ${possessive(what)} role ${role}${scope}`;
    }
    case 'collection.addMember':
    case 'collection.updateMember':
    case 'collection.removeMember': {
      const r = afterRow ?? beforeRow ?? {};
      const member = str(r.userId) ? n.person(str(r.userId)!) : 'a member';
      if (e.operation === 'collection.addMember') return `${who} added ${member} to ${what}${str(r.level) ? ` as ${str(r.level)}` : ''}`;
      if (e.operation === 'collection.updateMember') return `${who} made ${member} ${str(r.level) ?? 'a member'} of ${what}`;
      return str(r.userId) === e.actor ? `${who} left ${what}` : `${who} removed ${member} from ${what}`;
    }
    default: {
      const [, verb = e.operation] = e.operation.split(/\.(?=[^.]+$)/);
      const base = verb.replace(/[A-Z].*$/, '');
      const rest = verb.slice(base.length).replace(/([A-Z])/g, ' $1').toLowerCase().trim();
      const past = PAST[base];
      if (e.operation === 'settings.set') {
        const r = afterRow ?? {};
        return `${who} set ${str(r.key) ?? 'a setting'} to ${str(r.value) ?? '?'}${r.allowsOverride === false ? ' (locked below)' : ''} at ${what}`;
      }
      if (e.operation === 'settings.clear') return `${who} cleared ${str(beforeRow?.key) ?? 'a setting'} at ${what}`;
      if (e.operation === 'institution.configure') return `${who} changed the settings of ${what}`;
      return past ? `${who} ${past}${rest ? ` ${rest}` : ''} ${what}` : `${who} ran ${e.operation} on ${what}`;
    }
  }
}
