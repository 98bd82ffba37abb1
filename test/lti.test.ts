/**
 * LTI 1.3 launches and NRPS roster sync against a platform simulator (test/lti/platform.ts) on
 * loopback ports: Lectern listens on port 0 too, so every call between them is real HTTP — the
 * login redirect, the platform's JWKS, the id_token post, Lectern's JWKS, the token request and
 * the membership pages. Launches shaped like Canvas, Moodle, Blackboard and Brightspace; every
 * refusal the issue names, each leaving nothing written and an entry for the admin.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { LtiService } from '../src/integrations/lti/launch.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';
import { type LaunchSpec, Platform, ROLE, type Vendor } from './lti/platform.js';

type Launched = { status: number; data?: { user: string; section: string; course: string; role: string; ticket: string; notices: string[] }; code?: string; html: string };

describe.each(DRIVERS)('LTI 1.3 (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let svc: LtiService;
  let app: FastifyInstance;
  let base = '';
  let inst: string;
  let admin: string;
  const lms = {} as Record<Vendor, Platform>;
  const issuers: Record<Vendor, string> = {
    canvas: 'https://canvas.instructure.com',
    moodle: 'https://moodle.example.edu',
    blackboard: 'https://blackboard.com',
    brightspace: 'https://d2l.example.edu',
  };

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const register = async (vendor: Vendor, extra: Record<string, unknown> = {}) => {
    const p = lms[vendor];
    const r = await api('PUT', `/v1/lti/platforms/${vendor}`, {
      name: vendor[0]!.toUpperCase() + vendor.slice(1),
      issuer: p.issuer,
      clientId: p.clientId,
      deploymentIds: [p.deploymentId],
      authUrl: p.authUrl,
      jwksUrl: p.jwksUrl,
      tokenUrl: p.tokenUrl,
      unit: 'physics',
      syncMinutes: 0,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const urls = (r.body.result as { urls: { launch: string; jwks: string } }).urls;
    p.redirectUris = [urls.launch];
    p.toolJwks = urls.jwks;
    return r.body.result as Record<string, unknown>;
  };

  /** The whole browser journey, as a browser would make it, with its cookie jar. */
  const launch = async (vendor: Vendor, spec: LaunchSpec, opts: { iss?: string; dropCookie?: boolean; replay?: boolean } = {}): Promise<Launched> => {
    const p = lms[vendor];
    const hint = p.prepare(spec);
    const q = new URLSearchParams({ iss: opts.iss ?? p.issuer, login_hint: hint, target_link_uri: p.redirectUris[0]!, client_id: p.clientId, lti_deployment_id: p.deploymentId });
    const login = await fetch(`${base}/lti/${inst}/${vendor}/login?${q}`, { redirect: 'manual' });
    if (login.status !== 302) return parse(login.status, await login.text());
    const cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0]!;
    const auth = await fetch(login.headers.get('location')!);
    const form = await auth.text();
    expect(auth.status, form).toBe(200);
    const field = (n: string) => new RegExp(`name="${n}" value="([^"]*)"`).exec(form)![1]!;
    const action = /action="([^"]*)"/.exec(form)![1]!;
    const post = () =>
      fetch(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(opts.dropCookie ? {} : { cookie }) },
        body: new URLSearchParams({ id_token: field('id_token'), state: field('state') }),
      });
    let res = await post();
    if (opts.replay) res = await post();
    return parse(res.status, await res.text());
  };

  const parse = (status: number, html: string): Launched => {
    const data = /<script type="application\/json" id="lectern-launch">(.*?)<\/script>/s.exec(html);
    const code = /<code id="code">([^<]*)<\/code>/.exec(html);
    return { status, html, ...(data ? { data: JSON.parse(data[1]!) as Launched['data'] } : {}), ...(code ? { code: code[1] } : {}) };
  };

  const world = async () => (await lectern.refresh(inst))!;
  /** Read through a function, so the compiler does not narrow it after a test clears it. */
  const pendingSync = () => svc.lastSync;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    svc = new LtiService(lectern, { jwksCooldownMs: 0 });
    inst = await smallInstitution(lectern);
    const run = (op: string, args: Record<string, unknown>) => lectern.run(SYSTEM, inst, op, args).then(ok);
    const today = new Date().toISOString().slice(0, 10);
    const y = Number(today.slice(0, 4));
    await run('term.create', { id: 'now', start: `${y - 1}-01-01`, end: `${y + 1}-12-31`, name: 'This year' });
    await run('user.create', { id: 'prof', email: 'prof@example.edu', firstName: 'Pat', lastName: 'Prof' });
    await run('role.grant', { user: 'prof', role: 'academic_staff', scope: 'science' });
    await run('user.create', { id: 'tara', email: 'tara@example.edu', firstName: 'Tara', lastName: 'Assist' });
    await run('role.grant', { user: 'tara', role: 'academic_staff', scope: 'physics' });
    await run('user.create', { id: 'fay', email: 'fay@example.edu', firstName: 'Fay', lastName: 'Faculty' });
    await run('role.grant', { user: 'fay', role: 'academic_staff', scope: 'physics' });
    await run('user.create', { id: 'dup-a', email: 'dup@example.edu', firstName: 'Dup', lastName: 'A' });
    await run('user.create', { id: 'dup-b', username: 'S-999', email: 'other@example.edu', firstName: 'Dup', lastName: 'B' });
    admin = (await auth.createToken(inst, 'root', 'lti test')).token;
    app = buildApp({ lectern, auth, lti: svc });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    for (const v of Object.keys(issuers) as Vendor[]) lms[v] = await new Platform(v, issuers[v]).start();
    for (const v of Object.keys(issuers) as Vendor[]) await register(v);
  }, 180_000);

  afterAll(async () => {
    await svc.lastSync;
    for (const p of Object.values(lms)) await p.stop();
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  it('shows each registration with the URLs an LMS admin pastes, and publishes Lectern’s keys without private parts', async () => {
    const r = await api('GET', '/v1/lti/platforms');
    const items = r.body.items as { id: string; urls: Record<string, string>; roleMapping: Record<string, string> }[];
    expect(items.map((i) => i.id)).toEqual(['blackboard', 'brightspace', 'canvas', 'moodle']);
    expect(items[2]!.urls).toEqual({
      loginInitiation: `${base}/lti/${inst}/canvas/login`,
      launch: `${base}/lti/${inst}/canvas/launch`,
      jwks: `${base}/lti/${inst}/jwks`,
    });
    expect(items[2]!.roleMapping[ROLE.ta]).toBe('teaching_assistant');
    const jwks = (await (await fetch(`${base}/lti/${inst}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(k);
    // Registration is the root admin's; a unit admin is refused with the reason.
    const adaToken = (await new Auth(lectern).createToken(inst, 'ada', 't')).token;
    const denied = await fetch(`${base}/v1/lti/platforms`, { headers: { authorization: `Bearer ${adaToken}` } });
    expect(denied.status).toBe(403);
    // Bad input names the field.
    const bad = await api('PUT', '/v1/lti/platforms/x', { issuer: 'i', clientId: 'c', deploymentIds: ['d'], authUrl: 'not a url', jwksUrl: 'http://a', tokenUrl: 'http://a' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('authUrl');
    const inst2 = await api('PUT', '/v1/lti/platforms/x', { issuer: 'i', clientId: 'c', deploymentIds: ['d'], authUrl: 'http://a', jwksUrl: 'http://a', tokenUrl: 'http://a', roleMapping: { [ROLE.faculty]: 'instructor' } });
    expect(inst2.status).toBe(400);
    expect(String(inst2.body.message)).toMatch(/institution or system role/);
  });

  it('Canvas: an instructor’s first launch creates the course and section in the registration’s unit and current term', async () => {
    const before = (await world()).revision;
    const r = await launch('canvas', {
      person: { sub: 'c-prof', email: 'prof@example.edu', given_name: 'Pat', family_name: 'Prof', sourcedid: 'PROF1' },
      roles: [ROLE.instructor, ROLE.faculty, ROLE.sysUser],
      context: { id: 'canvas-course-1', title: 'Mechanics', label: 'PHYS101', type: [`${'http://purl.imsglobal.org/vocab/lis/v2/'}course#CourseOffering`] },
    });
    expect(r.status, r.html).toBe(200);
    expect(r.data).toMatchObject({ user: 'prof', role: 'instructor' });
    const w = await world();
    const section = w.section(r.data!.section)!;
    expect(w.course(section.courseId)).toMatchObject({ unitId: 'physics', name: 'Mechanics' });
    expect(section.termId).toBe('now');
    expect(w.sectionRole('prof', section.id)).toBe('instructor');
    // One operation, one revision, in the audit log like any write.
    expect(w.revision).toBe(before + 1);
    const [entry] = await store.audit(inst, { limit: 1 });
    expect(entry).toMatchObject({ operation: 'lti.launch', target: 'lti:canvas' });
    expect(entry!.changes.map((c) => c.table)).toEqual(expect.arrayContaining(['course', 'section', 'enrollment', 'ltiContext', 'ltiAccount', 'ltiEnrollment']));
    // The ticket is signed by Lectern's published key and names the user and the section.
    const { createRemoteJWKSet, jwtVerify } = await import('jose');
    const { payload } = await jwtVerify(r.data!.ticket, createRemoteJWKSet(new URL(`${base}/lti/${inst}/jwks`)), { audience: 'lectern-player' });
    expect(payload).toMatchObject({ sub: 'prof', section: section.id, role: 'instructor' });
    // A second launch (and a rename in the LMS) finds the same section and renames it.
    const again = await launch('canvas', {
      person: { sub: 'c-prof', email: 'prof@example.edu' },
      roles: [ROLE.instructor],
      context: { id: 'canvas-course-1', title: 'Classical Mechanics', label: 'PHYS101' },
    });
    expect(again.data?.section).toBe(section.id);
    expect((await world()).course(section.courseId)!.name).toBe('Classical Mechanics');
    expect([...(await world()).tables.ltiContext.values()].filter((c) => c.platformId === 'canvas')).toHaveLength(1);
  });

  it('Canvas: a learner is created from the launch, and /v1/check answers for them as for anyone', async () => {
    const r = await launch('canvas', {
      person: { sub: 'c-stu1', email: 'newstudent@example.edu', given_name: 'Nia', family_name: 'New', sourcedid: 'S-100' },
      roles: [ROLE.learner, ROLE.student, ROLE.sysUser],
      context: { id: 'canvas-course-1', title: 'Classical Mechanics', label: 'PHYS101' },
    });
    expect(r.status, r.html).toBe(200);
    expect(r.data).toMatchObject({ user: 'S-100', role: 'student' });
    const w = await world();
    expect(w.user('S-100')).toMatchObject({ email: 'newstudent@example.edu', firstName: 'Nia', lastName: 'New' });
    const check = async (user: string, action: string) => (await api('POST', '/v1/check', { user, action, resource: `section:${r.data!.section}` })).body;
    expect(await check('S-100', 'section.view')).toMatchObject({ allow: true });
    expect(await check('S-100', 'section.settings')).toMatchObject({ allow: false });
    expect(await check('prof', 'section.settings')).toMatchObject({ allow: true });
  });

  it('Blackboard: a TA sub-role becomes teaching assistant, not instructor', async () => {
    const r = await launch('blackboard', {
      person: { sub: 'bb-tara', email: 'tara@example.edu', name: 'Tara Assist' },
      roles: [ROLE.instructor, ROLE.ta, ROLE.faculty],
      context: { id: 'bb-_55_1', title: 'Optics', label: 'PHYS202', type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'] },
    });
    expect(r.status, r.html).toBe(200);
    expect(r.data).toMatchObject({ user: 'tara', role: 'teaching_assistant' });
  });

  it('Brightspace: a learner who is also institution faculty is a student in the section, and gains no staff role', async () => {
    const grantsBefore = (await world()).grantsOf('fay').length;
    const r = await launch('brightspace', {
      person: { sub: 'd2l-fay', email: 'fay@example.edu', given_name: 'Fay', family_name: 'Faculty', sourcedid: 'fay' },
      roles: [ROLE.learner, ROLE.faculty, ROLE.instAdmin, ROLE.sysAdmin],
      context: { id: 'd2l-6606', title: 'Astronomy', label: 'ASTR1', type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'] },
    });
    expect(r.status, r.html).toBe(200);
    expect(r.data).toMatchObject({ user: 'fay', role: 'student' });
    expect((await world()).grantsOf('fay')).toHaveLength(grantsBefore);
  });

  it('Moodle: short role names are accepted; an instructor without academic staff is enrolled as a student and told why', async () => {
    const r = await launch('moodle', {
      person: { sub: 'm-17', email: 'stu@example.edu', given_name: 'Stu', family_name: 'Test' },
      roles: ['Instructor'],
      context: { id: 'moodle-3', title: 'Lab', label: 'LAB', type: ['CourseSection'] },
    });
    expect(r.status, r.html).toBe(200);
    expect(r.data).toMatchObject({ user: 'stu', role: 'student' });
    expect(r.data!.notices[0]).toMatch(/not academic staff within Physics, so they are enrolled as a student/);
    expect(r.html).toContain('enrolled as a student');
  });

  it('with the grant rule, an instructor without academic staff is made academic staff of the course’s unit', async () => {
    await register('moodle', { staffRule: 'grant' });
    const r = await launch('moodle', {
      person: { sub: 'm-18', email: 'guest.teacher@example.edu', given_name: 'Gus', family_name: 'Teach' },
      roles: ['Instructor'],
      context: { id: 'moodle-4', title: 'Seminar', type: ['CourseSection'] },
    });
    expect(r.status, r.html).toBe(200);
    expect(r.data!.role).toBe('instructor');
    expect((await world()).listedUnits(r.data!.user, 'academic_staff')).toEqual(['physics']);
    await register('moodle', { staffRule: 'student' });
  });

  it('concurrent first launches of one context make one course and one section', async () => {
    const ctx = { id: 'canvas-race', title: 'Race', label: 'RACE' };
    const people = ['r1', 'r2', 'r3', 'r4'].map((s) => ({ person: { sub: `race-${s}`, email: `${s}@race.example.edu`, given_name: s, family_name: 'Racer' }, roles: [ROLE.learner], context: ctx }));
    const results = await Promise.all(people.map((p) => launch('canvas', p)));
    for (const r of results) expect(r.status, r.html).toBe(200);
    expect(new Set(results.map((r) => r.data!.section)).size).toBe(1);
    const w = await world();
    expect([...w.tables.ltiContext.values()].filter((c) => c.contextId === 'canvas-race')).toHaveLength(1);
    expect([...w.tables.course.values()].filter((c) => c.name === 'Race')).toHaveLength(1);
  });

  describe('refusals: a clear page for the person, an entry for the admin, nothing written', () => {
    const good = (over: Partial<LaunchSpec> = {}): LaunchSpec => ({
      person: { sub: 'c-refused', email: 'refused@example.edu', given_name: 'Ref', family_name: 'Used' },
      roles: [ROLE.learner],
      context: { id: 'canvas-refusals', title: 'Refusals' },
      ...over,
    });
    const cases: [string, Vendor, () => Promise<Launched>, string, RegExp][] = [
      ['bad signature', 'canvas', () => launch('canvas', good({ rogueKey: true })), 'badSignature', /not signed by a key/],
      ['unknown issuer at login', 'canvas', () => launch('canvas', good(), { iss: 'https://evil.example' }), 'unknownIssuer', /registered as/],
      ['token from another issuer', 'canvas', () => launch('canvas', good({ extra: { iss: 'https://evil.example' } })), 'unknownIssuer', /issued by/],
      ['token for another tool', 'canvas', () => launch('canvas', good({ extra: { aud: ['someone-else', 'lectern-client'], azp: 'someone-else' } })), 'wrongAudience', /authorized party/],
      ['unknown deployment', 'canvas', () => launch('canvas', good({ deploymentId: 'dep-rogue' })), 'unknownDeployment', /deployment .{1,5}dep-rogue.{1,5} is not registered/],
      ['a nonce Lectern did not issue', 'canvas', () => launch('canvas', good({ nonce: 'stolen' })), 'replayedLaunch', /nonce/],
      ['expired token', 'canvas', () => launch('canvas', good({ shift: -3600 })), 'expiredToken', /expired/],
      ['token from the future', 'canvas', () => launch('canvas', good({ shift: 3600 })), 'tokenNotYetValid', /clock/],
      ['state cookie missing', 'canvas', () => launch('canvas', good(), { dropCookie: true }), 'stateMismatch', /did not start in this browser/],
      ['missing context', 'canvas', () => launch('canvas', good({ context: null })), 'missingClaims', /no course context/],
      ['missing roles', 'canvas', () => launch('canvas', good({ extra: { 'https://purl.imsglobal.org/spec/lti/claim/roles': null } })), 'missingClaims', /no roles/],
      ['wrong version', 'canvas', () => launch('canvas', good({ extra: { 'https://purl.imsglobal.org/spec/lti/claim/version': '1.1' } })), 'unsupportedVersion', /1\.3\.0/],
      ['wrong message type', 'canvas', () => launch('canvas', good({ extra: { 'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiSubmissionReviewRequest' } })), 'unsupportedMessage', /LtiResourceLinkRequest/],
      ['unmapped role', 'canvas', () => launch('canvas', good({ roles: [ROLE.mentor, ROLE.faculty] })), 'unmappedRole', /no role of the launch is mapped/],
      ['only institution roles', 'canvas', () => launch('canvas', good({ roles: [ROLE.faculty, ROLE.instAdmin] })), 'unmappedRole', /institution and system roles/],
    ];
    it.each(cases.filter((c) => c[3] !== ''))('%s', async (_name, _vendor, run, code, message) => {
      const before = (await world()).revision;
      const refusalsBefore = ((await api('GET', '/v1/lti/refusals')).body.items as unknown[]).length;
      const r = await run();
      expect(r.status, r.html).toBeGreaterThanOrEqual(400);
      expect(r.code).toBe(code);
      expect(r.html).toMatch(message);
      expect(r.html).toContain('Lectern could not open this course');
      expect((await world()).revision).toBe(before);
      const items = (await api('GET', '/v1/lti/refusals')).body.items as { code: string; message: string }[];
      expect(items.length).toBe(refusalsBefore + 1);
      expect(items[0]!.code).toBe(code);
      expect(items[0]!.message).toMatch(message);
      // ... and on the audit page, beside the other refused ways in.
      const audit = (await api('GET', '/v1/audit?limit=5')).body.items as { operation: string; outcome?: string; revision: number | null }[];
      expect(audit.find((a) => a.operation === 'lti.launch' && a.revision === null)?.outcome).toBe(`refused: ${code}`);
      expect([...(await world()).tables.ltiContext.values()].some((c) => c.contextId === 'canvas-refusals')).toBe(false);
    });

    it('a replayed launch (the same id_token and state posted again) is refused; the first one counted once', async () => {
      const before = (await world()).revision;
      const r = await launch('canvas', good({ context: { id: 'canvas-replay', title: 'Replay' } }), { replay: true });
      expect(r.code).toBe('replayedLaunch');
      expect(r.html).toMatch(/already used/);
      expect((await world()).revision).toBe(before + 1);
      const items = (await api('GET', '/v1/lti/refusals')).body.items as { code: string }[];
      expect(items[0]!.code).toBe('replayedLaunch');
    });

    it('no term covering today: the operation refuses and writes nothing; only Lectern itself launches', async () => {
      const args = { platform: 'canvas', deploymentId: 'dep-1', context: { id: 'canvas-old', title: 'Old' }, person: { sub: 'c-old', email: 'old@example.edu', roles: [ROLE.learner] } };
      const before = (await world()).revision;
      const old = await lectern.run(SYSTEM, inst, 'lti.launch', { ...args, today: '1990-01-01' });
      expect(old).toMatchObject({ status: 'conflict', code: 'noCurrentTerm' });
      expect(old.status !== 'ok' && old.message).toMatch(/no term covers 1990-01-01/);
      const asAdmin = await lectern.run(lectern.principal(inst, 'root'), inst, 'lti.launch', args);
      expect(asAdmin).toMatchObject({ status: 'denied' });
      expect((await world()).revision).toBe(before);
      expect((await world()).user('old@example.edu')).toBeUndefined();
    });

    it('an ambiguous match (email names one user, lis.person_sourcedid another) is refused with the reason', async () => {
      await register('brightspace', { userMatch: ['email', 'sourcedid'] });
      const before = (await world()).revision;
      const r = await launch('brightspace', { person: { sub: 'd2l-dup', email: 'dup@example.edu', sourcedid: 'S-999' }, roles: [ROLE.learner], context: { id: 'd2l-6606', title: 'Astronomy' } });
      expect(r.code).toBe('ambiguousUser');
      expect(r.html).toMatch(/email dup@example.edu names dup-a; lis.person_sourcedid S-999 names dup-b/);
      expect((await world()).revision).toBe(before);
      await register('brightspace', { userMatch: ['email'] });
    });

    it('an unknown kid makes Lectern fetch the platform’s JWKS again (a rotated LMS key)', async () => {
      const fetches = lms.blackboard.jwksFetches;
      await lms.blackboard.rotateKey();
      const r = await launch('blackboard', { person: { sub: 'bb-tara', email: 'tara@example.edu' }, roles: [ROLE.ta], context: { id: 'bb-_55_1', title: 'Optics' } });
      expect(r.status, r.html).toBe(200);
      expect(lms.blackboard.jwksFetches).toBe(fetches + 1);
    });
  });

  describe('roster sync (NRPS 2.0)', () => {
    const ctx = { id: 'canvas-roster', title: 'Thermodynamics', label: 'PHYS303' };
    let section = '';

    it('syncs adds, role changes and removals, only of enrollments this LMS made; dry run writes nothing', async () => {
      const p = lms.canvas;
      p.rosters.set(ctx.id, [
        { sub: 'c-prof', email: 'prof@example.edu', roles: [ROLE.instructor] },
        { sub: 'n-1', email: 'n1@example.edu', given_name: 'Nat', family_name: 'One', roles: [ROLE.learner] },
        { sub: 'n-2', email: 'n2@example.edu', given_name: 'Noa', family_name: 'Two', roles: [ROLE.learner] },
        { sub: 'n-3', email: 'n3@example.edu', given_name: 'Ned', family_name: 'Three', roles: [ROLE.learner] },
        { sub: 'n-4', email: 'n4@example.edu', name: 'Nell Four', roles: [ROLE.mentor] },
      ]);
      await register('canvas', { syncMinutes: 0 });
      const first = await launch('canvas', { person: { sub: 'c-prof', email: 'prof@example.edu' }, roles: [ROLE.instructor], context: ctx });
      expect(first.status, first.html).toBe(200);
      section = first.data!.section;
      // A hand-made enrollment the LMS knows nothing about.
      ok(await lectern.run(SYSTEM, inst, 'section.enroll', { section, user: 'stu', role: 'student' }));

      const before = (await world()).revision;
      const dry = await api('POST', '/v1/lti/platforms/canvas/sync', { context: ctx.id, dryRun: true });
      expect(dry.status, JSON.stringify(dry.body)).toBe(200);
      expect(dry.body).toMatchObject({ dryRun: true, removed: [], unchanged: 1 });
      expect((dry.body.added as { user: string }[]).map((a) => a.user).sort()).toEqual(['n1@example.edu', 'n2@example.edu', 'n3@example.edu']);
      expect(dry.body.refused).toEqual([expect.objectContaining({ sub: 'n-4', code: 'unmappedRole' })]);
      expect((await world()).revision).toBe(before);

      const real = await api('POST', '/v1/lti/platforms/canvas/sync', { context: ctx.id });
      expect(real.body).toMatchObject({ dryRun: false, added: dry.body.added });
      expect((await world()).enrolled(section).size).toBe(5);
      // Three pages of two, followed by Link: rel="next"; the token came from a verified assertion.
      expect(p.tokenRequests.at(-1)).toEqual({ ok: true });

      // n-2 leaves (Inactive), n-3 drops out of the roster, n-1 becomes a TA… of a course whose unit they do not teach in.
      p.rosters.set(ctx.id, [
        { sub: 'c-prof', email: 'prof@example.edu', roles: [ROLE.instructor] },
        { sub: 'n-1', email: 'n1@example.edu', roles: [ROLE.instructor, ROLE.ta] },
        { sub: 'n-2', email: 'n2@example.edu', roles: [ROLE.learner], status: 'Inactive' },
      ]);
      await register('canvas', { syncMinutes: 0, staffRule: 'grant' });
      const second = await api('POST', '/v1/lti/platforms/canvas/sync', { context: ctx.id });
      expect(second.body).toMatchObject({
        changed: [{ user: 'n1@example.edu', from: 'student', to: 'teaching_assistant' }],
        removed: expect.arrayContaining([{ user: 'n2@example.edu', role: 'student' }, { user: 'n3@example.edu', role: 'student' }]),
      });
      const w = await world();
      expect(w.sectionRole('stu', section)).toBe('student');
      expect(w.sectionRole('n2@example.edu', section)).toBeUndefined();
      expect([...w.enrolled(section).keys()].sort()).toEqual(['n1@example.edu', 'prof', 'stu']);
      await register('canvas', { syncMinutes: 0, staffRule: 'student' });
    });

    it('runs after an instructor launch at most every N minutes', async () => {
      await register('canvas', { syncMinutes: 30 });
      const p = lms.canvas;
      p.rosters.set(ctx.id, [{ sub: 'c-prof', email: 'prof@example.edu', roles: [ROLE.instructor] }, { sub: 'n-5', email: 'n5@example.edu', given_name: 'Nik', family_name: 'Five', roles: [ROLE.learner] }]);
      const tokens = p.tokenRequests.length;
      svc.lastSync = undefined;
      await launch('canvas', { person: { sub: 'c-prof', email: 'prof@example.edu' }, roles: [ROLE.instructor], context: ctx });
      const result = await pendingSync();
      expect(result?.added).toEqual([{ user: 'n5@example.edu', role: 'student' }]);
      svc.lastSync = undefined;
      await launch('canvas', { person: { sub: 'c-prof', email: 'prof@example.edu' }, roles: [ROLE.instructor], context: ctx });
      expect(pendingSync()).toBeUndefined();
      expect(p.tokenRequests.length).toBe(tokens + 1);
    });

    it('Brightspace: the client assertion carries the audience the platform asks for, and an empty roster removes nobody', async () => {
      const p = lms.brightspace;
      p.tokenAudience = 'https://api.brightspace.com/auth/token';
      p.rosters.set('d2l-6606', []);
      const refused = await api('POST', '/v1/lti/platforms/brightspace/sync', { context: 'd2l-6606' });
      expect(refused.status).toBe(502);
      expect(p.tokenRequests.at(-1)).toMatchObject({ ok: false, reason: expect.stringMatching(/aud/) });
      await register('brightspace', { tokenAudience: 'https://api.brightspace.com/auth/token' });
      const before = (await world()).revision;
      const r = await api('POST', '/v1/lti/platforms/brightspace/sync', { context: 'd2l-6606' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ added: [], removed: [], changed: [] });
      expect((await world()).revision).toBe(before);
      expect((await world()).sectionRole('fay', String(r.body.section))).toBe('student');
    });

    it('a sync the platform refuses to authorize reports it; a unit admin outside the section is refused before any call', async () => {
      const p = lms.canvas;
      p.clientId = 'someone-else';
      const r = await api('POST', '/v1/lti/platforms/canvas/sync', { context: ctx.id });
      p.clientId = 'lectern-client';
      expect(r.status).toBe(502);
      expect(r.body.code).toBe('tokenRefused');
      const artsAdmin = await lectern.run(SYSTEM, inst, 'user.create', { id: 'artsy', email: 'artsy@example.edu', firstName: 'A', lastName: 'Rts' });
      ok(artsAdmin);
      ok(await lectern.run(SYSTEM, inst, 'role.grant', { user: 'artsy', role: 'admin', scope: 'arts' }));
      const token = (await new Auth(lectern).createToken(inst, 'artsy', 't')).token;
      const tokens = p.tokenRequests.length;
      const res = await fetch(`${base}/v1/lti/platforms/canvas/sync`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ context: ctx.id }) });
      expect(res.status).toBe(403);
      expect(p.tokenRequests.length).toBe(tokens);
    });
  });

  it('rotating Lectern’s key keeps the old one published, so what it signed still verifies', async () => {
    const before = (await (await fetch(`${base}/lti/${inst}/jwks`)).json()) as { keys: { kid: string }[] };
    const r = await api('POST', '/v1/lti/keys/rotate');
    const after = (await (await fetch(`${base}/lti/${inst}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(after.keys.map((k) => k.kid)).toEqual([r.body.kid, ...before.keys.map((k) => k.kid)]);
    // The token endpoint verifies an assertion signed with the new key.
    const sync = await api('POST', '/v1/lti/platforms/canvas/sync', { context: 'canvas-roster', dryRun: true });
    expect(sync.status, JSON.stringify(sync.body)).toBe(200);
  });
});
