/**
 * "Naive SQL per check" on PostgreSQL: the workload's relevant tables in a fresh schema (plain `pg`,
 * no Lectern code), and one SQL statement per check, asked serially over one connection. The only
 * derived table is a closure of the hierarchy (each unit or section with its ancestors and their
 * distance), built by a recursive query at load. Unlike the other peers, SQL expresses the toggle
 * lock walk itself: the effective value is the first locked setting from the root, else the
 * nearest one, else the default. Not expressed: licenses, shares, libraries (not in this workload).
 */
import pg from 'pg';
import { type MediaCheck } from './common.js';
import type { Workload } from '../workload.js';

const DDL = `
CREATE TABLE unit (id text PRIMARY KEY, parent_id text);
CREATE TABLE role_grant (user_id text, role text, scope_type text, scope_id text);
CREATE TABLE course (id text PRIMARY KEY, unit_id text);
CREATE TABLE term (id text PRIMARY KEY, start_date text, end_date text);
CREATE TABLE section (id text PRIMARY KEY, course_id text, term_id text);
CREATE TABLE enrollment (section_id text, user_id text, role text, PRIMARY KEY (user_id, section_id));
CREATE TABLE media (id text PRIMARY KEY, owner_id text);
CREATE TABLE class (id text PRIMARY KEY, section_id text);
CREATE TABLE publication (media_id text, class_id text, PRIMARY KEY (media_id, class_id));
CREATE TABLE collection_member (collection_id text, user_id text, level text, PRIMARY KEY (user_id, collection_id));
CREATE TABLE collection_media (collection_id text, media_id text);
CREATE TABLE setting (scope_id text, key text, value text, allows_override boolean);
`;

const INDEXES = `
CREATE INDEX ON role_grant (user_id);
CREATE INDEX ON collection_media (media_id);
CREATE INDEX ON setting (scope_id, key);
CREATE TABLE scope_ancestor AS
  WITH RECURSIVE up(scope_id, ancestor_id, depth) AS (
    SELECT id, id, 0 FROM unit
    UNION ALL SELECT up.scope_id, u.parent_id, up.depth + 1 FROM up JOIN unit u ON u.id = up.ancestor_id WHERE u.parent_id IS NOT NULL)
  SELECT * FROM up
  UNION ALL SELECT s.id, s.id, 0 FROM section s
  UNION ALL SELECT s.id, up.ancestor_id, up.depth + 1 FROM section s JOIN course c ON c.id = s.course_id JOIN up ON up.scope_id = c.unit_id;
CREATE INDEX ON scope_ancestor (scope_id);
ANALYZE unit, role_grant, course, term, section, enrollment, media, class, publication, collection_member, collection_media, setting, scope_ancestor;
`;

/** The media's sections: publication → class. */
const SECTIONS = `SELECT c.section_id FROM publication p JOIN class c ON c.id = p.class_id WHERE p.media_id = $2`;

const OVERSEE = `EXISTS (SELECT 1 FROM role_grant g WHERE g.user_id = $1 AND g.role = 'system_admin')
  OR EXISTS (SELECT 1 FROM scope_ancestor a JOIN role_grant g ON g.scope_id = a.ancestor_id AND g.user_id = $1 AND g.role IN ('admin', 'av_technician') AND g.scope_type = 'unit'
             WHERE a.scope_id IN (${SECTIONS}))`;

const effective = (key: string, dflt: string) => `COALESCE((SELECT st.value FROM scope_ancestor a JOIN setting st ON st.scope_id = a.ancestor_id AND st.key = '${key}'
  WHERE a.scope_id = e.section_id ORDER BY st.allows_override, CASE WHEN st.allows_override THEN a.depth ELSE -a.depth END LIMIT 1), '${dflt}')`;

export const VIEW_SQL = `SELECT
  EXISTS (SELECT 1 FROM media m WHERE m.id = $2 AND m.owner_id = $1)
  OR EXISTS (SELECT 1 FROM enrollment e WHERE e.user_id = $1 AND e.role <> 'guest_presenter' AND e.section_id IN (${SECTIONS}))
  OR ${OVERSEE}
  OR EXISTS (SELECT 1 FROM collection_media cm JOIN collection_member mb ON mb.collection_id = cm.collection_id AND mb.user_id = $1 WHERE cm.media_id = $2) AS allow`;

export const DOWNLOAD_SQL = `SELECT
  EXISTS (SELECT 1 FROM media m WHERE m.id = $2 AND m.owner_id = $1)
  OR EXISTS (SELECT 1 FROM enrollment e WHERE e.user_id = $1 AND e.role IN ('instructor', 'teaching_assistant') AND e.section_id IN (${SECTIONS}))
  OR ${OVERSEE}
  OR EXISTS (SELECT 1 FROM collection_media cm JOIN collection_member mb ON mb.collection_id = cm.collection_id AND mb.user_id = $1
             WHERE cm.media_id = $2 AND mb.level IN ('contributor', 'editor', 'manager'))
  OR EXISTS (SELECT 1 FROM enrollment e JOIN section s ON s.id = e.section_id LEFT JOIN term t ON t.id = s.term_id
             CROSS JOIN LATERAL (SELECT ${effective('downloads', 'on')} AS mode, ${effective('downloadsTermActiveOnly', 'off')} AS term_only) d
             WHERE e.user_id = $1 AND e.role IN ('student', 'student_presenter') AND e.section_id IN (${SECTIONS})
               AND d.mode <> 'off' AND (d.mode = 'on' OR $3 = 'audio')
               AND (d.term_only NOT IN ('on', 'true') OR $4 BETWEEN t.start_date AND t.end_date)) AS allow`;

export interface SqlPeer {
  client: pg.Client;
  schema: string;
  sizeMB: number;
  ask(batch: MediaCheck[]): Promise<boolean[]>;
  close(): Promise<void>;
}

async function insert(client: pg.Client, table: string, cols: string[], rows: unknown[][]): Promise<void> {
  // unnest() of one array per column: a few round trips for a million rows.
  const types = cols.map((c) => (c === 'allows_override' ? 'boolean[]' : 'text[]'));
  for (let i = 0; i < rows.length; i += 50_000) {
    const chunk = rows.slice(i, i + 50_000);
    const arrays = cols.map((_, k) => chunk.map((r) => r[k]));
    await client.query(`INSERT INTO ${table} (${cols.join(', ')}) SELECT * FROM unnest(${types.map((t, k) => `$${k + 1}::${t}`).join(', ')})`, arrays);
  }
}

export async function startSql(w: Workload, url: string): Promise<SqlPeer> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const schema = `peers_${process.pid}_${Date.now().toString(36)}`;
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path TO ${schema}`);
  await client.query(DDL);
  const t: Record<string, unknown[][]> = {};
  const add = (k: string, r: unknown[]) => (t[k] ??= []).push(r);
  const enrollments = new Map<string, unknown[]>();
  for (const c of w.rows) {
    const r = c.row as unknown as Record<string, unknown>;
    switch (c.table) {
      case 'unit':
        add('unit', [r.id, r.parentId ?? null]);
        break;
      case 'roleGrant':
        add('role_grant', [r.userId, r.role, r.scopeType, r.scopeId]);
        break;
      case 'course':
        add('course', [r.id, r.unitId]);
        break;
      case 'term':
        add('term', [r.id, r.startDate, r.endDate]);
        break;
      case 'section':
        add('section', [r.id, r.courseId, r.termId]);
        break;
      case 'enrollment':
        // A later row for the same (user, section) replaces the earlier one, as in Lectern's store.
        enrollments.set(`${String(r.userId)}\u0000${String(r.sectionId)}`, [r.sectionId, r.userId, r.role]);
        break;
      case 'media':
        add('media', [r.id, r.ownerId]);
        break;
      case 'class':
        add('class', [r.id, r.sectionId]);
        break;
      case 'publication':
        add('publication', [r.mediaId, r.classId]);
        break;
      case 'collectionMember':
        add('collection_member', [r.collectionId, r.userId, r.level]);
        break;
      case 'collectionMedia':
        add('collection_media', [r.collectionId, r.mediaId]);
        break;
      case 'setting':
        add('setting', [r.scopeId, r.key, r.value, r.allowsOverride]);
        break;
    }
  }
  t.enrollment = [...enrollments.values()];
  const COLS: Record<string, string[]> = {
    unit: ['id', 'parent_id'],
    role_grant: ['user_id', 'role', 'scope_type', 'scope_id'],
    course: ['id', 'unit_id'],
    term: ['id', 'start_date', 'end_date'],
    section: ['id', 'course_id', 'term_id'],
    enrollment: ['section_id', 'user_id', 'role'],
    media: ['id', 'owner_id'],
    class: ['id', 'section_id'],
    publication: ['media_id', 'class_id'],
    collection_member: ['collection_id', 'user_id', 'level'],
    collection_media: ['collection_id', 'media_id'],
    setting: ['scope_id', 'key', 'value', 'allows_override'],
  };
  try {
    for (const [table, cols] of Object.entries(COLS)) await insert(client, table, cols, t[table] ?? []);
    await client.query(INDEXES);
  } catch (e) {
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
    throw e;
  }
  const size = await client.query<{ b: string }>(`SELECT sum(pg_total_relation_size(c.oid))::text AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r')`, [schema]);
  const ask = async (batch: MediaCheck[]): Promise<boolean[]> => {
    const c = batch[0]!;
    const r = c.action === 'view' ? await client.query<{ allow: boolean }>({ name: 'view', text: VIEW_SQL, values: [c.user, c.media] }) : await client.query<{ allow: boolean }>({ name: 'download', text: DOWNLOAD_SQL, values: [c.user, c.media, c.format, c.day] });
    return [r.rows[0]!.allow];
  };
  const close = async () => {
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  };
  return { client, schema, sizeMB: Math.round(Number(size.rows[0]!.b) / 1024 / 102.4) / 10, ask, close };
}
