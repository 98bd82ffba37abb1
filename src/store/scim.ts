/**
 * SQL for the SCIM server: when each user or group was first and last changed, read from the
 * audit log (every operation records its target and time there).
 */
import { sql } from 'kysely';
import type { Store } from './store.js';

export async function auditTimes(store: Store, institutionId: string, targets: readonly string[]): Promise<Map<string, { created: Date; lastModified: Date }>> {
  const out = new Map<string, { created: Date; lastModified: Date }>();
  if (targets.length === 0) return out;
  // A long list is asked as every target of its kind (`user:%`), not as thousands of parameters.
  const many = targets.length > 500;
  const kind = `${targets[0]!.slice(0, targets[0]!.indexOf(':') + 1).replace(/[%_\\]/g, '\\$&')}%`;
  const rows = await store.db
    .selectFrom('auditLog')
    .select(['target', sql<Date>`min(at)`.as('first'), sql<Date>`max(at)`.as('last')])
    .where('institutionId', '=', institutionId)
    .where((eb) => (many ? eb('target', 'like', kind) : eb('target', 'in', targets)))
    .groupBy('target')
    .execute();
  for (const r of rows) out.set(r.target as string, { created: new Date(r.first), lastModified: new Date(r.last) });
  return out;
}
