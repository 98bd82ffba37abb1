/**
 * What the console builds its navigation from (issue 17): GET /v1/session's `abilities` (at the
 * institution) and `anywhere` (somewhere: a unit, one of the caller's sections or collections, a
 * kind of CSV file) for the demo's roles, each cross-checked against a decision policy gives on a
 * concrete resource; and GET /v1/sections/:id/media, the media of a section a caller may view.
 */
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { UNIT_ACTIONS } from '../src/api/session.js';
import { decide, type Principal } from '../src/policy/index.js';
import { World } from '../src/world/world.js';
import { generateInstitution } from './generate.js';
import { allowedSomewhere } from '../src/policy/somewhere.js';
import { loadWorldFile } from '../src/scenario/run.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

const DEMO = fileURLToPath(new URL('../scenarios/demo.yaml', import.meta.url));

describe.each(DRIVERS)('the session tells the console what the user may do (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let small: string;
  const headers: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    await loadWorldFile(lectern, DEMO, { setPassword: (i, u, p) => auth.storePassword(i, u, p) });
    small = await smallInstitution(lectern);
    for (const u of ['gliu', 'eshaw', 'kobrien', 'hfischer', 'jwhitaker', 'wchen', 'mcohen']) headers[u] = { authorization: `Bearer ${(await auth.createToken('stateu', u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
    // The demo hashes a password per staff account: slow on a busy machine.
  }, 240_000);
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const session = async (who: string) => {
    const r = await app.inject({ url: '/v1/session', headers: headers[who] });
    expect(r.statusCode).toBe(200);
    return r.json() as { abilities: Record<string, boolean>; anywhere: Record<string, boolean> };
  };
  const policy = async (who: string, action: string, resource: string, context: Record<string, unknown> = {}) => {
    const w = (await lectern.world('stateu'))!;
    return decide(w, lectern.principal('stateu', who), action, resource, context, { explain: false }).allow;
  };

  it('a scheduler: teaching objects and files somewhere, nothing of the admin pages', async () => {
    const s = await session('gliu');
    expect(s.anywhere).toMatchObject({ 'term.create': true, 'course.create': true, 'section.create': true, 'schedule.create': true, 'import.run': true, 'export.run': true });
    expect(s.anywhere).toMatchObject({ 'unit.create': false, 'unit.update': false, 'unit.settings': false, 'library.create': false, 'section.view': false, 'collection.view': false });
    expect(s.abilities).toMatchObject({ 'user.create': false, 'license.view': false, 'audit.view': false, 'room.create': false, 'identityProvider.view': false });
    expect(await policy('gliu', 'course.create', 'unit:physics')).toBe(true);
    expect(await policy('gliu', 'import.run', 'institution:stateu', { kind: 'users' })).toBe(false);
    expect(await policy('gliu', 'import.run', 'institution:stateu', { kind: 'sections' })).toBe(true);
  });

  it('academic staff: their own sections and collections, no admin ability', async () => {
    const s = await session('eshaw');
    expect(s.anywhere['section.view']).toBe(true);
    expect(s.anywhere['collection.view']).toBe(true);
    for (const a of ['unit.create', 'unit.settings', 'term.create', 'course.create', 'section.create', 'schedule.create', 'library.create', 'import.run', 'export.run']) expect(s.anywhere[a], a).toBe(false);
    expect(s.abilities).toMatchObject({ 'user.create': false, 'license.view': false, 'room.create': false, 'audit.view': false });
    expect(await policy('eshaw', 'section.view', 'section:phys101-a')).toBe(true);
    // mcohen is in no collection: nothing to open there.
    expect((await session('mcohen')).anywhere['collection.view']).toBe(false);
  });

  it('an AV technician manages rooms and devices; admins and license managers get their pages', async () => {
    const av = await session('kobrien');
    expect(av.abilities).toMatchObject({ 'room.create': true, 'device.register': true, 'user.create': false });
    const admin = await session('hfischer');
    expect(admin.abilities).toMatchObject({ 'user.create': true, 'license.view': true, 'audit.view': true, 'identityProvider.view': true, 'room.create': true });
    expect(admin.anywhere).toMatchObject({ 'unit.create': true, 'unit.settings': true, 'library.create': true, 'term.create': true, 'collection.view': true });
    const lm = await session('jwhitaker');
    expect(lm.abilities).toMatchObject({ 'license.view': true, 'user.create': false });
    expect(lm.anywhere['unit.create']).toBe(false);
  });

  it('asks only where an allow can appear, and answers as asking every unit would (every user, both worlds)', async () => {
    for (const inst of ['stateu', small]) {
      const w = (await lectern.world(inst))!;
      const units = w.tree.ordered().map((u) => `unit:${u.id}`);
      let allowed = 0;
      for (const userId of w.users.keys()) {
        const p = lectern.principal(inst, userId);
        for (const action of UNIT_ACTIONS) {
          const everywhere = units.some((u) => decide(w, p, action, u, {}, { explain: false }).allow);
          expect(allowedSomewhere(w, p, action), `${inst} ${userId} ${action}`).toBe(everywhere);
          if (everywhere) allowed++;
        }
      }
      // Both answers occur: the comparison is not between two constant falses.
      expect(allowed).toBeGreaterThan(0);
    }
    // Generated institutions (varied roles and scopes), with delegated administration on and off.
    for (const da of [true, false]) {
      const w = new World('gen');
      w.applyRevision(1, generateInstitution('gen', { seed: da ? 17 : 23, users: 120, staff: 60, sections: 20, media: 10, perSection: 4, delegatedAdministration: da }));
      const units = w.tree.ordered().map((u) => `unit:${u.id}`);
      for (const userId of w.users.keys()) {
        const p: Principal = { kind: 'user', institutionId: 'gen', userId, systemAdmin: w.holds(userId, 'system_admin') };
        for (const action of UNIT_ACTIONS) {
          expect(allowedSomewhere(w, p, action), `gen(da=${da}) ${userId} ${action}`).toBe(units.some((u) => decide(w, p, action, u, {}, { explain: false }).allow));
        }
      }
    }
  });

  it("lists a section's media the caller may view, with each one's classes and abilities", async () => {
    const r = await app.inject({ url: '/v1/sections/phys101-a/media', headers: headers.eshaw });
    expect(r.statusCode).toBe(200);
    const items = r.json().items as { id: string; classes: { class: string; abilities: { unpublish: boolean } }[]; abilities: Record<string, boolean> }[];
    expect(items.map((m) => m.id)).toEqual(['ex1', 'lec1', 'lec2']);
    const lec1 = items.find((m) => m.id === 'lec1')!;
    expect(lec1.classes.map((k) => k.class)).toEqual(['phys101-a-week1']);
    // The same answers policy gives.
    expect(lec1.abilities.editDetails).toBe(await policy('eshaw', 'media.editDetails', 'media:lec1'));
    expect(lec1.classes[0]!.abilities.unpublish).toBe(await policy('eshaw', 'media.unpublish', 'media:lec1', { class: 'phys101-a-week1' }));
    // Not her section: refused with policy's reason; an unknown section is not found.
    const other = await app.inject({ url: '/v1/sections/phys101-a/media', headers: headers.mcohen });
    expect(other.statusCode).toBe(403);
    expect(other.json().reasons.join(' ')).toMatch(/mcohen|Miriam/i);
    expect((await app.inject({ url: '/v1/sections/nope/media', headers: headers.eshaw })).statusCode).toBe(404);
  });
});
