/**
 * One LTI 1.3 launch end to end in Debian's chromium: the simulated LMS's course page posts the
 * login initiation, Lectern redirects to the LMS's authorization endpoint with its state cookie
 * set, the LMS's page posts the id_token back, and the person lands on Lectern's page as a
 * student of the course's section — with the state cookie carried by the browser itself.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SYSTEM } from '../../src/policy/index.js';
import { Auth } from '../../src/services/auth.js';
import { Lectern } from '../../src/services/lectern.js';
import { Store } from '../../src/store/store.js';
import { freshId, ok, smallInstitution } from '../helpers.js';
import { Platform, ROLE } from '../lti/platform.js';

const CHROMIUM = '/usr/bin/chromium';

let store: Store;
let lectern: Lectern;
let app: FastifyInstance;
let browser: Browser;
let lms: Platform;
let base = '';
let inst = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  store = await Store.open({});
  await store.migrate();
  lectern = new Lectern(store);
  inst = await smallInstitution(lectern, freshId('lti'));
  const y = new Date().getUTCFullYear();
  ok(await lectern.run(SYSTEM, inst, 'term.create', { id: 'now', start: `${y - 1}-01-01`, end: `${y + 1}-12-31` }));
  app = buildApp({ lectern, auth: new Auth(lectern) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  lms = await new Platform('canvas', 'https://canvas.instructure.com').start();
  const reg = await lectern.run(SYSTEM, inst, 'lti.configure', {
    id: 'canvas', name: 'Canvas', issuer: lms.issuer, clientId: lms.clientId, deploymentIds: [lms.deploymentId],
    authUrl: lms.authUrl, jwksUrl: lms.jwksUrl, tokenUrl: lms.tokenUrl, unit: 'physics', syncMinutes: 0,
  });
  ok(reg);
  lms.redirectUris = [`${base}/lti/${inst}/canvas/launch`];
  lms.toolJwks = `${base}/lti/${inst}/jwks`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await lms?.stop();
  await app?.close();
  await store?.close();
});

it('a Canvas learner opens Lectern from the course and lands in its section', async () => {
  const hint = lms.prepare({
    person: { sub: 'canvas-42', email: 'lena@example.edu', given_name: 'Lena', family_name: 'Learner', sourcedid: 'lena' },
    roles: [ROLE.learner, ROLE.student],
    context: { id: 'course-9', title: 'Mechanics', label: 'PHYS101', type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'] },
  });
  const page = await browser.newPage();
  await page.goto(`${lms.base}/course?hint=${hint}&login=${encodeURIComponent(`${base}/lti/${inst}/canvas/login`)}`);
  await page.click('#open');
  await page.waitForSelector('#welcome, #reason', { timeout: 30_000 });
  const text = await page.textContent('body');
  expect(text).toContain('Signed in as lena, student in PHYS101');
  const w = (await lectern.refresh(inst))!;
  const link = [...w.tables.ltiContext.values()][0]!;
  expect(w.sectionRole('lena', link.sectionId)).toBe('student');
  // The state cookie did its work and is gone.
  expect((await page.context().cookies()).filter((c) => c.name.startsWith('lti_state_'))).toEqual([]);
  await page.close();
});
