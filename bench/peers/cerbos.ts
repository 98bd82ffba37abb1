/**
 * Cerbos (`@cerbos/cerbos-linux-x64`, the Go PDP), started on loopback with a temporary policy
 * directory, asked over gRPC (`@cerbos/grpc`). Cerbos keeps no data: each request carries the
 * principal's attributes (their sections and roles, admin/AV units, collections) and the resource's
 * (owner, sections, unit chain, collections, each section's effective download toggles and term),
 * which the caller looks up in its Maps — that lookup is timed with the request.
 *
 * Expressed (in CEL conditions): the whole view/download rule, including the format and the term
 * window (the check's format and day travel as resource attributes). Not expressed: the toggle lock
 * walk (the caller resolves the effective values), licenses, shares, libraries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GRPC } from '@cerbos/grpc';
import type { Principal, Resource } from '@cerbos/core';
import { type Facts, type MediaCheck, DOWNLOAD_LEVELS } from './common.js';

const POLICY = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: media
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          any:
            of:
              - expr: R.attr.owner == P.id
              - expr: R.attr.sections.exists(s, s in P.attr.sections && P.attr.sections[s] != "guest_presenter")
              - expr: R.attr.units.exists(u, u in P.attr.oversee)
              - expr: R.attr.collections.exists(c, c in P.attr.collections)
    - actions: [download]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          any:
            of:
              - expr: R.attr.owner == P.id
              - expr: R.attr.sections.exists(s, s in P.attr.sections && P.attr.sections[s] in ["instructor", "teaching_assistant"])
              - expr: R.attr.units.exists(u, u in P.attr.oversee)
              - expr: R.attr.collections.exists(c, c in P.attr.collections && P.attr.collections[c])
              - expr: >-
                  R.attr.sections.exists(s, s in P.attr.sections
                    && P.attr.sections[s] in ["student", "student_presenter"]
                    && R.attr.toggles[s].downloads != "off"
                    && (R.attr.toggles[s].downloads == "on" || R.attr.format == "audio")
                    && (!R.attr.toggles[s].termOnly || (R.attr.day >= R.attr.toggles[s].start && R.attr.day <= R.attr.toggles[s].end)))
`;

export interface CerbosPeer {
  client: GRPC;
  child: ChildProcess;
  /** RSS of the PDP process, MB. */
  rssMB(): number;
  principal(user: string): Principal;
  resource(c: MediaCheck): Resource;
  ask(batch: MediaCheck[]): Promise<boolean[]>;
  askMany(batch: MediaCheck[]): Promise<boolean[]>;
  stop(): Promise<void>;
}

export async function startCerbos(f: Facts, port = 3593): Promise<CerbosPeer> {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('@cerbos/cerbos-linux-x64/package.json')), 'cerbos-linux-x64');
  const dir = mkdtempSync(join(tmpdir(), 'lectern-cerbos-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'media.yaml'), POLICY);
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'server:',
      `  httpListenAddr: "127.0.0.1:${port - 1}"`,
      `  grpcListenAddr: "127.0.0.1:${port}"`,
      'storage:',
      '  driver: disk',
      '  disk:',
      `    directory: ${join(dir, 'policies')}`,
      '    watchForChanges: false',
      'audit:',
      '  enabled: false',
      'telemetry:',
      '  disabled: true',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['server', `--config=${join(dir, 'config.yaml')}`, '--log-level=error'], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Never leave the PDP behind, even if the benchmark dies.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new GRPC(`127.0.0.1:${port}`, { tls: false });
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    client.close();
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await client.serverInfo();
      break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`cerbos did not start: ${stderr.trim() || String(e)}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // The caller's lookups: what it sends with every request.
  const principal = (user: string): Principal => {
    const sections: Record<string, string> = {};
    for (const [s, role] of f.enrollments.get(user) ?? []) sections[s] = role;
    const collections: Record<string, boolean> = {};
    for (const [c, level] of f.memberships.get(user) ?? []) collections[c] = DOWNLOAD_LEVELS.has(level);
    return { id: user, roles: ['user'], attr: { sections, oversee: [...(f.adminUnits.get(user) ?? []), ...(f.avUnits.get(user) ?? [])], collections } };
  };
  const resource = (c: MediaCheck): Resource => {
    const secs = f.mediaSections.get(c.media) ?? [];
    const toggles: Record<string, { downloads: string; termOnly: boolean; start: string; end: string }> = {};
    const units = new Set<string>();
    for (const s of secs) {
      const sf = f.sections.get(s)!;
      toggles[s] = { downloads: sf.downloads, termOnly: sf.termOnly, start: sf.term?.start ?? '', end: sf.term?.end ?? '' };
      for (const u of sf.units) units.add(u);
    }
    return { kind: 'media', id: c.media, attr: { owner: f.mediaOwner.get(c.media) ?? '', sections: secs, units: [...units], collections: f.mediaCollections.get(c.media) ?? [], toggles, format: c.format, day: c.day } };
  };
  const ask = async (batch: MediaCheck[]): Promise<boolean[]> => {
    const c = batch[0]!;
    const r = await client.checkResource({ principal: principal(c.user), resource: resource(c), actions: [c.action] });
    return [r.isAllowed(c.action) === true];
  };
  /** One principal, many resources: every check of the batch is asked for the first check's user. */
  const askMany = async (batch: MediaCheck[]): Promise<boolean[]> => {
    const user = batch[0]!.user;
    const r = await client.checkResources({ principal: principal(user), resources: batch.map((c) => ({ resource: { ...resource(c), id: `${c.media}@${c.action}@${c.format}@${c.day}` }, actions: [c.action] })) });
    return batch.map((c) => r.isAllowed({ resource: { kind: 'media', id: `${c.media}@${c.action}@${c.format}@${c.day}` }, action: c.action }) === true);
  };
  const rssMB = (): number => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
    } catch {
      return NaN;
    }
  };
  return { client, child, rssMB, principal, resource, ask, askMany, stop };
}
