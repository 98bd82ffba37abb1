import { describe, expect, it } from 'vitest';
import { decide, type Principal } from '../src/policy/index.js';
import { publishableSections, publishTargets, usersWhoMayView, viewableMedia } from '../src/policy/lookups.js';
import { World } from '../src/world/world.js';
import { generateInstitution, rng } from './generate.js';

const principal = (w: World, u: string): Principal => ({ kind: 'user', institutionId: w.institutionId, userId: u, systemAdmin: w.holds(u, 'system_admin') });

describe.each([1, 2, 3])('lookups agree with check (generated institution, seed %i)', (seed) => {
  const w = World.build('gen', 1, generateInstitution('gen', { seed, users: 1200, staff: 120, sections: 300, media: 5000, perSection: 25 }));
  const r = rng(seed * 7919);
  const sample = (n: number, xs: string[]) => Array.from({ length: n }, () => xs[Math.floor(r() * xs.length)]!);
  const users = [...w.users.keys()];
  const media = [...w.tables.media.keys()];

  it('is a world of at least 1,000 users and 5,000 media', () => {
    expect(w.users.size).toBeGreaterThanOrEqual(1000);
    expect(w.tables.media.size).toBeGreaterThanOrEqual(5000);
  });

  it('viewableMedia lists exactly the media check allows, across pages', () => {
    let compared = 0;
    const sizes: number[] = [];
    for (const u of [...sample(40, users), ...users.slice(0, 10)]) {
      const p = principal(w, u);
      const expected = media.filter((m) => decide(w, p, 'media.view', `media:${m}`).allow).sort();
      const got: string[] = [];
      let after: string | undefined;
      do {
        const pg = viewableMedia(w, p, { after, limit: 250 });
        got.push(...pg.items);
        expect(pg.total).toBe(expected.length);
        after = pg.next;
      } while (after !== undefined);
      expect(got).toEqual(expected);
      compared += media.length;
      sizes.push(expected.length);
    }
    expect(compared).toBeGreaterThanOrEqual(250_000);
    // Not a vacuous agreement: some see nothing or little, some see everything.
    expect(sizes.some((n) => n > 0 && n < media.length)).toBe(true);
    expect(sizes.some((n) => n === media.length)).toBe(true);
  });

  it('usersWhoMayView lists exactly the users check allows', () => {
    for (const m of sample(60, media)) {
      const expected = users.filter((u) => decide(w, principal(w, u), 'media.view', `media:${m}`).allow).sort();
      expect(usersWhoMayView(w, m)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(users.length);
    }
  });

  it('publishTargets lists exactly the classes check allows, within publishable sections', () => {
    const classes = [...w.tables.class.keys()];
    for (const u of sample(25, users)) {
      const p = principal(w, u);
      const sections = new Set(publishableSections(w, p));
      for (const m of sample(8, media)) {
        const expected = classes.filter((c) => decide(w, p, 'media.publish', `media:${m}`, { class: c }).allow).sort();
        const got = publishTargets(w, p, m);
        expect(got).toEqual(expected);
        if (w.media(m)!.ownerId === u) for (const c of got) expect(sections.has(w.class(c)!.sectionId)).toBe(true);
      }
    }
  });
});
