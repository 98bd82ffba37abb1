/**
 * The LTI tables that are not replicated into the world (issue 15): Lectern's signing keys,
 * pending logins, the last roster sync per context, and refused launches. SQL stays here.
 */
import { sql } from 'kysely';
import type { Store } from './store.js';

export interface StoredKey {
  kid: string;
  publicJwk: string;
  privateJwk: string;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface LtiRefusalEntry {
  id: string;
  at: Date;
  platformId: string | null;
  code: string;
  message: string;
  detail: Record<string, unknown>;
}

export class LtiStore {
  constructor(private readonly store: Store) {}

  private get db() {
    return this.store.db;
  }

  /** Every key of the institution, newest first, including retired ones still published. */
  async keys(institutionId: string): Promise<StoredKey[]> {
    return this.db
      .selectFrom('ltiKey')
      .select(['kid', 'publicJwk', 'privateJwk', 'createdAt', 'retiredAt'])
      .where('institutionId', '=', institutionId)
      .orderBy('createdAt', 'desc')
      .orderBy('kid', 'desc')
      .execute();
  }

  async addKey(institutionId: string, key: Omit<StoredKey, 'retiredAt'>): Promise<void> {
    await this.db.insertInto('ltiKey').values({ institutionId, ...key, retiredAt: null }).execute();
  }

  /** Retires every current key but `keep`, and forgets keys retired before `forgetBefore`. */
  async retireKeys(institutionId: string, keep: string, at: Date, forgetBefore: Date): Promise<void> {
    await this.db.updateTable('ltiKey').set({ retiredAt: at }).where('institutionId', '=', institutionId).where('kid', '!=', keep).where('retiredAt', 'is', null).execute();
    await this.db.deleteFrom('ltiKey').where('institutionId', '=', institutionId).where('retiredAt', '<', forgetBefore).execute();
  }

  async addLogin(institutionId: string, login: { state: string; nonce: string; platformId: string; expiresAt: Date }): Promise<void> {
    await this.db.insertInto('ltiLogin').values({ institutionId, ...login }).execute();
  }

  /**
   * Takes a pending login away, once: of two processes presenting the same state, one gets it.
   * Expired logins are swept on the way.
   */
  async takeLogin(institutionId: string, state: string): Promise<{ nonce: string; platformId: string; expiresAt: Date } | undefined> {
    const r = await this.db
      .deleteFrom('ltiLogin')
      .where('institutionId', '=', institutionId)
      .where('state', '=', state)
      .returning(['nonce', 'platformId', 'expiresAt'])
      .executeTakeFirst();
    await this.db.deleteFrom('ltiLogin').where('institutionId', '=', institutionId).where('expiresAt', '<', new Date()).execute();
    return r;
  }

  /** Remembers where a context's roster is served (the NRPS claim of its latest launch). */
  async setMembershipsUrl(institutionId: string, platformId: string, contextId: string, url: string): Promise<void> {
    await this.db
      .insertInto('ltiSync')
      .values({ institutionId, platformId, contextId, membershipsUrl: url, lastAt: null })
      .onConflict((oc) => oc.columns(['institutionId', 'platformId', 'contextId']).doUpdateSet({ membershipsUrl: url }))
      .execute();
  }

  async membershipsUrl(institutionId: string, platformId: string, contextId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('ltiSync')
      .select('membershipsUrl')
      .where('institutionId', '=', institutionId)
      .where('platformId', '=', platformId)
      .where('contextId', '=', contextId)
      .executeTakeFirst();
    return (r?.membershipsUrl as string | null) ?? undefined;
  }

  /**
   * Claims the right to sync a context now unless it was synced within `minutes`: true for one
   * caller per period, across processes.
   */
  async claimSync(institutionId: string, platformId: string, contextId: string, minutes: number, now = new Date()): Promise<boolean> {
    const cutoff = new Date(now.getTime() - minutes * 60_000);
    const r = await sql<{ n: number }>`
      update lti_sync set last_at = ${now}
      where institution_id = ${institutionId} and platform_id = ${platformId} and context_id = ${contextId}
        and (last_at is null or last_at <= ${cutoff})
      returning 1 as n`.execute(this.db);
    return r.rows.length > 0;
  }

  async addRefusal(institutionId: string, e: Omit<LtiRefusalEntry, 'at'> & { at?: Date }): Promise<void> {
    await this.db
      .insertInto('ltiRefusal')
      .values({ institutionId, id: e.id, at: e.at ?? new Date(), platformId: e.platformId, code: e.code, message: e.message, detail: JSON.stringify(e.detail) })
      .execute();
  }

  async refusals(institutionId: string, limit = 100): Promise<LtiRefusalEntry[]> {
    const rows = await this.db.selectFrom('ltiRefusal').selectAll().where('institutionId', '=', institutionId).orderBy('at', 'desc').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, at: r.at, platformId: r.platformId, code: r.code, message: r.message, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}
