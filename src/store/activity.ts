/**
 * The student activity record (issue 20): SQL for the month-partitioned `activity_event` table.
 * Not replicated into the world: events are many, append-only and read only by reports. Writes are
 * one INSERT … SELECT FROM unnest(arrays) per batch (a handful of parameters however many events).
 */
import { sql } from 'kysely';
import type { Store } from './store.js';

export const ACTIVITY_KINDS = ['view', 'play', 'download'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export interface ActivityEvent {
  at: Date;
  userId: string;
  mediaId: string;
  sectionId: string | null;
  kind: ActivityKind;
  seconds: number;
}

export interface UsageRow {
  /** What the row is about: a media id (section report) or a section id (user report; '' for none). */
  key: string;
  views: number;
  plays: number;
  downloads: number;
  seconds: number;
  /** Distinct people (section report) — 1 in a user report. */
  people: number;
  first: Date;
  last: Date;
}

/** `activity_event_y2026m11` for November 2026, with the range it holds. */
function partitionOf(month: string): { name: string; from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return { name: `activity_event_y${y}m${String(m).padStart(2, '0')}`, from: `${month}-01`, to: next };
}

const monthOf = (d: Date) => d.toISOString().slice(0, 7);

export class ActivityStore {
  /** Months known to have a partition (this process created or found it). */
  private readonly months = new Set<string>();

  constructor(private readonly store: Store) {}

  private get db() {
    return this.store.db;
  }

  /** Creates the month partitions the events need; racing creators (other processes) are fine. */
  private async ensureMonths(events: readonly ActivityEvent[]): Promise<void> {
    const wanted = new Set<string>();
    for (const e of events) {
      const m = monthOf(e.at);
      if (!this.months.has(m)) wanted.add(m);
    }
    for (const m of wanted) {
      const p = partitionOf(m);
      try {
        await sql`create table if not exists ${sql.id(p.name)} partition of activity_event for values from (${sql.lit(p.from)}) to (${sql.lit(p.to)})`.execute(this.db);
      } catch (e) {
        // Another process created it between our "if not exists" and our create: it exists now.
        if ((e as { code?: string }).code !== '42P07' && (e as { code?: string }).code !== '23505') throw e;
      }
      this.months.add(m);
    }
  }

  /** Appends events in one statement per 50,000, all or none (one transaction). */
  async insert(institutionId: string, events: readonly ActivityEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.ensureMonths(events);
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < events.length; i += 50_000) {
        const part = events.slice(i, i + 50_000);
        const at = part.map((e) => e.at.toISOString());
        await sql`insert into activity_event (institution_id, at, user_id, media_id, section_id, kind, seconds)
          select ${institutionId}, * from unnest(${at}::timestamptz[], ${part.map((e) => e.userId)}::text[], ${part.map((e) => e.mediaId)}::text[],
            ${part.map((e) => e.sectionId)}::text[], ${part.map((e) => e.kind)}::text[], ${part.map((e) => e.seconds)}::integer[])`.execute(trx);
      }
    });
  }

  private usage(institutionId: string, where: 'section' | 'user', id: string, from: Date, to: Date) {
    const keyCol = where === 'section' ? sql`media_id` : sql`coalesce(section_id, '')`;
    const filter = where === 'section' ? sql`section_id = ${id}` : sql`user_id = ${id}`;
    return sql<{ key: string; views: string; plays: string; downloads: string; seconds: string; people: string; first: Date; last: Date }>`
      select ${keyCol} as key,
        count(*) filter (where kind = 'view') as views,
        count(*) filter (where kind = 'play') as plays,
        count(*) filter (where kind = 'download') as downloads,
        coalesce(sum(seconds), 0) as seconds,
        count(distinct user_id) as people,
        min(at) as first, max(at) as last
      from activity_event
      where institution_id = ${institutionId} and ${filter} and at >= ${from.toISOString()}::timestamptz and at < ${to.toISOString()}::timestamptz
      group by 1 order by 1`.execute(this.db);
  }

  private static rows(r: { rows: { key: string; views: string; plays: string; downloads: string; seconds: string; people: string; first: Date; last: Date }[] }): UsageRow[] {
    return r.rows.map((x) => ({
      key: x.key,
      views: Number(x.views),
      plays: Number(x.plays),
      downloads: Number(x.downloads),
      seconds: Number(x.seconds),
      people: Number(x.people),
      first: new Date(x.first),
      last: new Date(x.last),
    }));
  }

  /** A section's usage per media item. */
  async bySection(institutionId: string, sectionId: string, from: Date, to: Date): Promise<UsageRow[]> {
    return ActivityStore.rows(await this.usage(institutionId, 'section', sectionId, from, to));
  }

  /** A section's usage per person: who watched how much. */
  async peopleOfSection(institutionId: string, sectionId: string, from: Date, to: Date): Promise<UsageRow[]> {
    const r = await sql<{ key: string; views: string; plays: string; downloads: string; seconds: string; people: string; first: Date; last: Date }>`
      select user_id as key,
        count(*) filter (where kind = 'view') as views,
        count(*) filter (where kind = 'play') as plays,
        count(*) filter (where kind = 'download') as downloads,
        coalesce(sum(seconds), 0) as seconds,
        count(distinct media_id) as people,
        min(at) as first, max(at) as last
      from activity_event
      where institution_id = ${institutionId} and section_id = ${sectionId} and at >= ${from.toISOString()}::timestamptz and at < ${to.toISOString()}::timestamptz
      group by 1 order by 1`.execute(this.db);
    return ActivityStore.rows(r);
  }

  /** One person's usage per section ('' for events in no section). */
  async byUser(institutionId: string, userId: string, from: Date, to: Date): Promise<UsageRow[]> {
    return ActivityStore.rows(await this.usage(institutionId, 'user', userId, from, to));
  }

  async count(institutionId: string): Promise<number> {
    const r = await sql<{ n: string }>`select count(*) as n from activity_event where institution_id = ${institutionId}`.execute(this.db);
    return Number(r.rows[0]?.n ?? 0);
  }

  /**
   * Removes the institution's events older than `before`. Partitions hold every institution's
   * events of a month, so rows are deleted rather than months dropped.
   */
  async purge(institutionId: string, before: Date): Promise<number> {
    const r = await sql`delete from activity_event where institution_id = ${institutionId} and at < ${before.toISOString()}::timestamptz`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }
}
