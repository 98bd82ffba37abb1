/**
 * Casbin (`casbin`), in-process, RBAC with domains. Every relationship is a policy line loaded from
 * a CSV policy (StringAdapter): enrollments (`g, user, role, section`), admin and AV grants
 * (`g, user, admin, unit`), ownership (`g, user, owner, media`), role inheritance inside each
 * domain (`g, instructor, teacher, s1`, `g, teacher, member, s1`, `g, admin, oversee, unit`…), and
 * collections as a second role graph (`g2, user, col1#view`, `g2, col1#view, m5#view`).
 *
 * A matcher cannot quantify over the resource's sections or units, so the caller passes the
 * resource's placement (its section, that section's unit chain) from its own Maps, and asks once
 * per section where the media is published (timed with the check). The effective toggles (the lock
 * walk) and the term window are resolved by the caller too and passed as attributes; the matcher
 * applies them to the check's format and day.
 */
import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from 'casbin';
import { type Facts, type MediaCheck, DOWNLOAD_LEVELS } from './common.js';

const MODEL = `
[request_definition]
r = sub, obj, act, fmt, day

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (r.act == "view" && (g(r.sub, "owner", r.obj.id) || g(r.sub, "member", r.obj.sec) || g(r.sub, "oversee", r.obj.u0) || g(r.sub, "oversee", r.obj.u1) || g(r.sub, "oversee", r.obj.u2) || g(r.sub, "oversee", r.obj.u3) || g2(r.sub, r.obj.vkey))) || (r.act == "download" && (g(r.sub, "owner", r.obj.id) || g(r.sub, "teacher", r.obj.sec) || g(r.sub, "oversee", r.obj.u0) || g(r.sub, "oversee", r.obj.u1) || g(r.sub, "oversee", r.obj.u2) || g(r.sub, "oversee", r.obj.u3) || g2(r.sub, r.obj.dkey) || (g(r.sub, "learner", r.obj.sec) && r.obj.dl != "off" && (r.obj.dl == "on" || r.fmt == "audio") && (r.obj.termOnly == false || (r.day >= r.obj.start && r.day <= r.obj.end)))))
`;

/** The policy file: one line per relationship. */
export function policyCsv(f: Facts): { csv: string; lines: number } {
  const lines: string[] = [];
  for (const u of f.unitParent.keys()) lines.push(`g, admin, oversee, ${u}`, `g, av_technician, oversee, ${u}`);
  for (const s of f.sections.keys()) {
    lines.push(`g, instructor, teacher, ${s}`, `g, teaching_assistant, teacher, ${s}`, `g, teacher, member, ${s}`);
    lines.push(`g, student, learner, ${s}`, `g, student_presenter, learner, ${s}`, `g, learner, member, ${s}`);
  }
  for (const [u, m] of f.enrollments) for (const [s, role] of m) lines.push(`g, ${u}, ${role}, ${s}`);
  for (const [u, units] of f.adminUnits) for (const x of units) lines.push(`g, ${u}, admin, ${x}`);
  for (const [u, units] of f.avUnits) for (const x of units) lines.push(`g, ${u}, av_technician, ${x}`);
  for (const [m, owner] of f.mediaOwner) lines.push(`g, ${owner}, owner, ${m}`);
  for (const [u, cols] of f.memberships)
    for (const [c, level] of cols) {
      lines.push(`g2, ${u}, ${c}#view`);
      if (DOWNLOAD_LEVELS.has(level)) lines.push(`g2, ${u}, ${c}#download`);
    }
  for (const [c, media] of f.collectionMedia) for (const m of media) lines.push(`g2, ${c}#view, ${m}#view`, `g2, ${c}#download, ${m}#download`);
  return { csv: lines.join('\n'), lines: lines.length };
}

export async function casbinPeer(f: Facts): Promise<{ enforcer: Enforcer; lines: number; ask: (c: MediaCheck) => boolean }> {
  const { csv, lines } = policyCsv(f);
  const enforcer = await newEnforcer(newModelFromString(MODEL), new StringAdapter(csv));
  const ask = (c: MediaCheck): boolean => {
    const secs = f.mediaSections.get(c.media) ?? [''];
    for (const sec of secs) {
      const sf = f.sections.get(sec);
      const u = sf?.units ?? [];
      const last = u[u.length - 1] ?? '';
      if (u.length > 4) throw new Error(`the matcher reads four levels of units; section ${sec} has ${u.length}`);
      const obj = {
        id: c.media,
        sec,
        u0: u[0] ?? last,
        u1: u[1] ?? last,
        u2: u[2] ?? last,
        u3: u[3] ?? last,
        vkey: `${c.media}#view`,
        dkey: `${c.media}#download`,
        dl: sf?.downloads ?? 'off',
        termOnly: sf?.termOnly ?? false,
        start: sf?.term?.start ?? '',
        end: sf?.term?.end ?? '',
      };
      if (enforcer.enforceSync(c.user, obj, c.action, c.format, c.day)) return true;
    }
    return false;
  };
  return { enforcer, lines, ask };
}
