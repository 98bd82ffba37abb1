/**
 * Issue 17, part A, in a real browser (Debian's chromium, driven by playwright-core, against the
 * server `lectern serve` runs over a fresh embedded store loaded with scenarios/demo.yaml):
 * navigation built from the session's abilities (a scheduler, academic staff, an AV technician, an
 * admin — and no 403 caused by navigating), state held in the URL (reload, back, a shared link) and
 * the not-found page, then the Organisation, Teaching (lists and a section's page), Rooms and
 * devices, and Libraries journeys, each with a refusal and its reason. axe-core (WCAG 2 A and AA)
 * finds nothing on every page touched, and no page is wider than the window at 1366×768 or at
 * 768 px. With LECTERN_SCREENSHOTS=1 (`npm run screenshots`) the pages are photographed into
 * docs/screenshots/.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { CONSOLE_DIR } from '../../src/api/public.js';
import { loadWorldFile } from '../../src/scenario/run.js';
import { Auth } from '../../src/services/auth.js';
import { Lectern } from '../../src/services/lectern.js';
import { Store } from '../../src/store/store.js';

const SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SHOOTING = process.env.LECTERN_SCREENSHOTS === '1';

let store: Store;
let app: FastifyInstance;
let browser: Browser;
let base: string;

/** A signed-in browser tab, with every 403 the API answered it and every dialog it was shown. */
interface Tab {
  page: Page;
  context: BrowserContext;
  forbidden: string[];
  dialogs: string[];
}

async function signIn(user: string, width = 1366, height = 768): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: base, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const tab: Tab = { page, context, forbidden: [], dialogs: [] };
  page.on('response', (r) => {
    if (r.status() === 403 && r.url().includes('/v1/')) tab.forbidden.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  // confirm: the pages ask with the browser's dialog for now; the test reads what it says, then accepts.
  page.on('dialog', (d) => {
    tab.dialogs.push(d.message());
    void d.accept();
  });
  await page.goto('/?institution=stateu');
  // The form offers the institutions once it has them; the link chooses one.
  await expect.poll(() => page.getByLabel('Institution', { exact: true }).inputValue()).toBe('stateu');
  await page.getByLabel('Username or email').fill(user);
  await page.getByLabel('Password').fill('lectern-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as').waitFor();
  return tab;
}

async function navLinks(page: Page): Promise<string[]> {
  const nav = page.getByRole('navigation', { name: 'Console' });
  await nav.getByRole('link').first().waitFor();
  return (await nav.getByRole('link').allTextContents()).map((t) => t.trim());
}

/** axe-core's WCAG 2 A/AA violations on the page as it is now. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; help: string; nodes: { target: unknown }[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
  });
}

/** The page fits the window: nothing wider than the viewport (tables scroll inside their own box). */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** axe finds nothing, and the page fits at the current width and at 768 px. */
async function checkPage(page: Page, name: string): Promise<void> {
  expect(await violations(page), `axe on ${name}`).toEqual([]);
  expect(await overflow(page), `overflow on ${name} at 1366`).toBeLessThanOrEqual(0);
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: 768, height: 1024 });
  expect(await overflow(page), `overflow on ${name} at 768`).toBeLessThanOrEqual(0);
  if (SHOOTING) await page.screenshot({ path: `${SHOTS}${name}-768.png`, fullPage: true });
  await page.setViewportSize(size);
  if (SHOOTING) await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

async function pickUser(page: Page, label: string, typed: string, expected: RegExp): Promise<void> {
  const box = page.getByRole('combobox', { name: label, exact: true });
  await box.fill(typed);
  const option = page.getByRole('option', { name: expected }).first();
  await option.waitFor();
  await option.click();
  await expect.poll(() => box.inputValue()).toMatch(expected);
}


beforeAll(async () => {
  if (!existsSync(`${CONSOLE_DIR}/index.html`)) throw new Error('web/dist is not built: run `npm run build:web` first (npm run test:browser does)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  if (SHOOTING) mkdirSync(SHOTS, { recursive: true });
  store = await Store.open({});
  await store.migrate();
  const lectern = new Lectern(store);
  const auth = new Auth(lectern);
  await loadWorldFile(lectern, DEMO, { setPassword: (i, u, p) => auth.storePassword(i, u, p) });
  app = buildApp({ lectern, auth });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
});

describe('navigation from abilities', { timeout: 180_000 }, () => {
  it('a scheduler sees Teaching only and lands there, with no 403 on the way', async () => {
    const t = await signIn('gliu');
    await t.page.getByRole('heading', { name: 'Teaching' }).waitFor();
    expect(new URL(t.page.url()).pathname).toBe('/teaching');
    const links = await navLinks(t.page);
    expect(links).toContain('Teaching');
    for (const hidden of ['Users', 'Organisation', 'Licensing', 'Settings', 'Collections', 'Why?', 'Audit log', 'Rooms and devices', 'Libraries', 'My teaching']) expect(links).not.toContain(hidden);
    // Every page the scheduler's navigation offers opens without a refusal.
    for (const l of links) {
      await t.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: l }).click();
      await t.page.locator('main h1').first().waitFor();
    }
    // The seed gives schedulers courses and imports/exports: both are offered.
    expect(links).toContain('Imports and exports');
    await t.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Teaching' }).click();
    await t.page.getByRole('link', { name: 'Physics I, section A' }).waitFor();
    expect(t.forbidden).toEqual([]);
    await checkPage(t.page, 'nav-scheduler');
    await t.context.close();
  });

  it('academic staff without admin rights land on their own page: sections, media, licenses', async () => {
    const t = await signIn('eshaw');
    await t.page.getByRole('heading', { name: 'My teaching' }).waitFor();
    expect(new URL(t.page.url()).pathname).toBe('/me');
    const links = await navLinks(t.page);
    expect(links).toEqual(['My teaching', 'Collections']);
    await t.page.locator('#my-sections').getByRole('link', { name: 'Physics I, section A' }).waitFor();
    await t.page.locator('#my-media').getByRole('cell', { name: 'Lecture 1: Motion', exact: true }).waitFor();
    await t.page.getByText('ID 2026-08-01-000001').waitFor();
    expect(t.forbidden).toEqual([]);
    await checkPage(t.page, 'my-teaching');
    // Her own media: edit details from her page.
    await t.page.getByRole('button', { name: 'Manage Lecture 2: Forces' }).click();
    await t.page.getByLabel('Title').fill('Lecture 2: Forces and motion');
    await t.page.getByRole('button', { name: 'Save title' }).click();
    await t.page.getByText('Renamed to Lecture 2: Forces and motion.').waitFor();
    await t.context.close();
  });

  it('an AV technician sees rooms and devices; an admin sees the admin pages', async () => {
    const av = await signIn('kobrien');
    await av.page.getByRole('heading', { name: 'Rooms and devices' }).waitFor();
    expect(await navLinks(av.page)).toEqual(['Rooms and devices', 'Imports and exports']);
    expect(av.forbidden).toEqual([]);
    await av.context.close();
    const admin = await signIn('hfischer');
    await admin.page.getByRole('heading', { name: 'Users' }).waitFor();
    const links = await navLinks(admin.page);
    for (const l of ['Users', 'Organisation', 'Licensing', 'Teaching', 'Rooms and devices', 'Settings', 'Libraries', 'Why?', 'Audit log']) expect(links).toContain(l);
    expect(admin.forbidden).toEqual([]);
    await admin.context.close();
  });
});

describe('URLs hold state', { timeout: 180_000 }, () => {
  it('keeps tab and filters across reload and back, and shows not-found for an unknown path', async () => {
    const t = await signIn('hfischer');
    const { page } = t;
    await page.goto('/teaching?tab=courses');
    await page.getByRole('tab', { name: 'Courses', selected: true }).waitFor();
    await page.getByRole('cell', { name: 'General Chemistry chem110', exact: true }).waitFor();
    await page.getByRole('tab', { name: 'Sections' }).click();
    await page.getByLabel('Term', { exact: true }).selectOption('spring27');
    await expect.poll(() => page.url()).toContain('term=spring27');
    await expect.poll(() => page.locator('table tbody tr').count()).toBe(1);
    await page.reload();
    await page.getByRole('link', { name: 'General Chemistry, section A' }).waitFor();
    expect(await page.getByLabel('Term', { exact: true }).inputValue()).toBe('spring27');
    await page.goBack();
    await expect.poll(() => page.url()).not.toContain('term=');
    await page.goBack();
    await page.getByRole('tab', { name: 'Courses', selected: true }).waitFor();
    // A section's tab is in its URL too: a shared link opens it.
    await page.goto('/teaching/sections/phys101-a?tab=classes');
    await page.getByRole('tab', { name: 'Classes', selected: true }).waitFor();
    await page.getByRole('cell', { name: 'Worked examples phys101-a-extras', exact: true }).waitFor();
    // The users list: tab, search and sort from a shared link; paging writes the offset.
    await page.goto('/users?tab=students&q=nguyen');
    await page.getByRole('tab', { name: 'Students', selected: true }).waitFor();
    await expect.poll(() => page.locator('table.grid tbody tr').count()).toBe(1);
    expect(await page.getByLabel('Search').inputValue()).toBe('nguyen');
    await page.goto('/users?tab=staff&sort=-lastName');
    await expect.poll(() => page.getByRole('columnheader', { name: /Name|Last/ }).first().getAttribute('aria-sort')).toBe('descending');
    // The page number too (the demo has fewer than a page of staff, so the offset is given).
    await page.goto('/users?tab=staff&offset=10');
    await expect.poll(() => page.getByRole('navigation', { name: 'Users pages' }).textContent()).toMatch(/11–/);
    await page.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(() => page.url()).not.toContain('offset=');
    // A collection's members: sort from the URL.
    await page.goto('/collections/mechanics?sort=-access');
    await expect.poll(() => page.locator('#members tbody tr').first().getAttribute('data-user')).toBe('eshaw');
    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    expect(await page.title()).toContain('Not found');
    await checkPage(page, 'not-found');
    await page.getByRole('link', { name: 'Go to your start page' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await t.context.close();
  });
});

describe('organisation', { timeout: 180_000 }, () => {
  it('renames, moves and deletes units, and shows why a delete is refused', async () => {
    const t = await signIn('hfischer');
    const { page } = t;
    await page.getByRole('link', { name: 'Organisation' }).click();
    await page.getByRole('list', { name: 'Organisation units' }).waitFor();
    // A new unit to move and delete.
    await page.getByRole('button', { name: 'Add a unit under Faculty of Arts & Humanities' }).click();
    await page.getByLabel('Id', { exact: true }).fill('philosophy');
    await page.getByLabel('Name', { exact: true }).fill('Philosophy');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('button', { name: 'Rename or move Philosophy' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Department of Philosophy');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Renamed Philosophy to Department of Philosophy.').waitFor();
    await page.getByRole('button', { name: 'Rename or move Department of Philosophy' }).click();
    await page.getByLabel('Parent unit').selectOption('science');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Moved Department of Philosophy under Faculty of Science.').waitFor();
    const units = (await fetchJson(page, '/v1/units')) as { items: { id: string; parentId: string; name: string }[] };
    expect(units.items.find((u) => u.id === 'philosophy')).toMatchObject({ parentId: 'science', name: 'Department of Philosophy' });
    await checkPage(page, 'units-edit');
    // Refused: Physics still holds a course and roles; the reason is on screen and nothing changes.
    await page.getByRole('button', { name: 'Delete Department of Physics' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/physics/i);
    expect(t.dialogs.at(-1)).toContain('Delete the unit Department of Physics');
    await page.getByRole('button', { name: 'Delete Department of Philosophy' }).click();
    await page.getByText('Deleted Department of Philosophy.').waitFor();
    await expect.poll(() => page.getByText('Department of Philosophy', { exact: true }).count()).toBe(0);
    expect(t.forbidden).toEqual([]);
    await t.context.close();
  });
});

async function fetchJson(page: Page, path: string): Promise<unknown> {
  return page.evaluate(async (p) => (await fetch(p, { headers: { accept: 'application/json' } })).json(), path);
}

describe('teaching', { timeout: 180_000 }, () => {
  it('a scheduler creates, edits and deletes terms, courses, sections and schedules; a refused delete says why', async () => {
    const t = await signIn('gliu');
    const { page } = t;
    await page.getByRole('tab', { name: 'Terms' }).click();
    await page.getByRole('button', { name: 'New term…' }).click();
    await page.getByLabel('Id', { exact: true }).fill('summer27');
    await page.getByLabel('Name', { exact: true }).fill('Summer 2027');
    await page.getByLabel('First day').fill('2027-06-01');
    await page.getByLabel('Last day').fill('2027-08-15');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Created the term Summer 2027.').waitFor();
    await page.getByRole('button', { name: 'Edit term Summer 2027' }).click();
    await page.getByLabel('Last day').fill('2027-08-31');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: '2027-06-01 – 2027-08-31' }).waitFor();
    // Refused: Fall 2026 has sections.
    await page.getByRole('button', { name: 'Delete term Fall 2026' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/section/i);
    await page.getByRole('cell', { name: 'Fall 2026', exact: true }).waitFor();
    await checkPage(page, 'teaching-terms');

    await page.getByRole('tab', { name: 'Courses' }).click();
    await page.getByRole('button', { name: 'New course…' }).click();
    await page.getByLabel('Id', { exact: true }).fill('phys201');
    await page.getByLabel('Name', { exact: true }).fill('Physics II');
    await page.getByLabel('Unit').selectOption('physics');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Created the course Physics II.').waitFor();

    await page.getByRole('tab', { name: 'Sections' }).click();
    await page.getByRole('button', { name: 'New section…' }).click();
    await page.getByLabel('Id', { exact: true }).fill('phys201-a');
    await page.getByLabel('Name', { exact: true }).fill('Physics II, section A');
    const newSection = page.getByRole('form', { name: 'New section' });
    await newSection.getByLabel('Course', { exact: true }).selectOption('phys201');
    await newSection.getByLabel('Term', { exact: true }).selectOption('summer27');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('link', { name: 'Physics II, section A' }).waitFor();
    await page.getByRole('button', { name: 'Edit section Physics II, section A' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Physics II, section B');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: 'Physics II, section B' }).waitFor();
    await checkPage(page, 'teaching-sections');

    await page.getByRole('tab', { name: 'Capture schedules' }).click();
    await page.getByRole('cell', { name: 'Physics I lectures, Mon/Wed 9:00', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New capture schedule…' }).click();
    await page.getByLabel('Id', { exact: true }).fill('phys201-lectures');
    await page.getByLabel('Name', { exact: true }).fill('Physics II lectures');
    const newSchedule = page.getByRole('form', { name: 'New capture schedule' });
    await newSchedule.getByLabel('Section', { exact: true }).selectOption('phys201-a');
    await newSchedule.getByLabel('Room').selectOption('sci-101');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Created the capture schedule Physics II lectures.').waitFor();
    await page.getByRole('button', { name: 'Edit schedule Physics II lectures' }).click();
    await page.getByLabel('Room').selectOption('eng-auditorium');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'Engineering Auditorium' }).waitFor();
    await checkPage(page, 'teaching-schedules');
    await page.getByRole('button', { name: 'Delete schedule Physics II lectures' }).click();
    await page.getByText('Deleted the capture schedule Physics II lectures.').waitFor();

    await page.getByRole('tab', { name: 'Sections' }).click();
    await page.getByRole('button', { name: 'Delete section Physics II, section B' }).click();
    await page.getByText('Deleted the section Physics II, section B.').waitFor();
    expect(t.dialogs.some((d) => d.includes('Its enrollments, classes, settings and schedules go with it.'))).toBe(true);
    await page.getByRole('tab', { name: 'Courses' }).click();
    await page.getByRole('button', { name: 'Delete course Physics II' }).click();
    await page.getByText('Deleted the course Physics II.').waitFor();
    expect(t.forbidden).toEqual([]);
    await t.context.close();
  });

  it("an instructor works in her section: enrollments, classes, media, toggles — and the API's refusal is shown", async () => {
    const t = await signIn('eshaw');
    const { page } = t;
    await page.locator('#my-sections').getByRole('link', { name: 'Physics I, section A' }).click();
    await page.getByRole('heading', { name: 'Physics I, section A' }).waitFor();
    await page.getByRole('cell', { name: 'Amara Okafor aokafor' }).waitFor();
    await pickUser(page, 'User', 'nguy', /Bao Nguyen/);
    await page.getByLabel('Section role').selectOption('student');
    await page.getByRole('button', { name: 'Enroll', exact: true }).click();
    await page.getByText('Enrolled Bao Nguyen as student.').waitFor();
    await page.getByRole('button', { name: 'Unenroll Ciara Murphy' }).click();
    await page.getByText('Unenrolled Ciara Murphy.').waitFor();
    await expect.poll(() => page.locator('#enrollments tbody tr').count()).toBe(5);
    await checkPage(page, 'teaching-section');

    await page.getByRole('tab', { name: 'Classes' }).click();
    await page.getByRole('button', { name: 'New class…' }).click();
    await page.getByLabel('Id', { exact: true }).fill('phys101-a-review');
    await page.getByLabel('Name', { exact: true }).fill('Exam review');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Created the class Exam review.').waitFor();
    // System classes are not the instructor's to delete here (the toggle is off): no button.
    expect(await page.getByRole('button', { name: 'Delete class Week 1' }).count()).toBe(0);

    await page.getByRole('tab', { name: 'Media' }).click();
    await page.getByRole('button', { name: 'Manage Lecture 1: Motion' }).click();
    await page.getByLabel('Publish to class').selectOption('phys101-a-review');
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published Lecture 1: Motion to Exam review.').waitFor();
    await page.getByRole('button', { name: 'Unpublish from Exam review' }).click();
    await page.getByText('Unpublished Lecture 1: Motion from Exam review.').waitFor();
    await pickUser(page, 'Share with', 'patel', /Raj Patel/);
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    await page.getByText('Shared Lecture 1: Motion with Raj Patel.').waitFor();
    await page.getByLabel('Post to').selectOption('publicLink');
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    await page.getByText('Posted Lecture 1: Motion to a public link.').waitFor();
    await page.getByRole('button', { name: 'Manage Worked example: inclined plane' }).click();
    await checkPage(page, 'teaching-section-media');
    // Unpublishing a system capture is off for instructors in this section: nothing offers it.
    await page.getByRole('button', { name: /^Manage Lecture 2: Forces/ }).click();
    expect(await page.getByRole('button', { name: /Unpublish from Week 1/ }).count()).toBe(0);

    await page.getByRole('tab', { name: 'Capabilities' }).click();
    const qa = page.getByRole('switch', { name: 'Q&A' });
    await expect.poll(() => qa.isEnabled()).toBe(true);
    await qa.click();
    await page.getByText('Q&A: Off in this section.').waitFor();
    await expect.poll(() => qa.isChecked()).toBe(false);
    // What she may do here, as policy answers it.
    await page.getByText('Enroll people').waitFor();
    await checkPage(page, 'teaching-capabilities');
    expect(t.forbidden).toEqual([]);

    // A teaching assistant is not offered enrolling; asked anyway, the API refuses with policy's reason.
    await t.context.close();
    const ta = await signIn('wchen');
    await ta.page.goto('/teaching/sections/phys101-a');
    await ta.page.getByRole('heading', { name: 'Physics I, section A' }).waitFor();
    expect(await ta.page.getByRole('form', { name: 'Enroll a user' }).count()).toBe(0);
    const refused = (await ta.page.evaluate(async () => {
      const r = await fetch('/v1/sections/phys101-a/enrollments/aokafor', { method: 'DELETE', headers: { 'x-lectern-csrf': '1', accept: 'application/json' } });
      return { status: r.status, body: (await r.json()) as { message: string } };
    })) as { status: number; body: { message: string } };
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/teaching assistant/i);
    await ta.context.close();
  });
});

describe('rooms and devices', { timeout: 180_000 }, () => {
  it('an AV technician adds a room, registers, assigns and configures a device; a refused delete says why', async () => {
    const t = await signIn('kobrien');
    const { page } = t;
    await page.getByRole('button', { name: 'Add a room…' }).click();
    await page.getByLabel('Room id').fill('arts-201');
    await page.getByLabel('Name', { exact: true }).fill('Arts Building 201');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Added the room Arts Building 201.').waitFor();
    await page.getByRole('button', { name: 'Register a device…' }).click();
    await page.getByLabel('Device id').fill('cap-arts-201');
    await page.getByLabel('Name', { exact: true }).fill('Capture appliance, Arts 201');
    await page.getByLabel('Room', { exact: true }).last().selectOption('arts-201');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByText('Registered the device Capture appliance, Arts 201 in Arts Building 201.').waitFor();
    // Refused: a room with a device in it is not deleted; the reason is shown and the room stays.
    await page.getByRole('button', { name: 'Delete Arts Building 201' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/device/i);
    await page.locator('#rooms').getByRole('cell', { name: 'Arts Building 201 arts-201', exact: true }).waitFor();
    // Assign to another room, then configure.
    await page.getByRole('button', { name: 'Change Capture appliance, Arts 201' }).click();
    await page.getByLabel('Room', { exact: true }).last().selectOption('eng-auditorium');
    await page.getByRole('button', { name: 'Assign' }).click();
    await page.getByText('Assigned Capture appliance, Arts 201 to Engineering Auditorium.').waitFor();
    await page.getByRole('button', { name: 'Change Capture appliance, Arts 201' }).click();
    await page.getByLabel('Configuration (JSON)').fill('[1, 2]');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByText('Configuration must be a JSON object').waitFor();
    await page.getByLabel('Configuration (JSON)').fill('{"resolution": "1080p"}');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByText('Saved the configuration of Capture appliance, Arts 201.').waitFor();
    await page.getByText('{"resolution":"1080p"}').waitFor();
    // The room filter is in the URL.
    await page.getByRole('button', { name: 'Show the devices in Engineering Auditorium' }).click();
    await expect.poll(() => page.url()).toContain('room=eng-auditorium');
    await expect.poll(() => page.locator('#devices tbody tr').count()).toBe(1);
    await checkPage(page, 'rooms');
    await page.getByRole('button', { name: 'Remove Capture appliance, Arts 201' }).click();
    await page.getByText('Removed the device Capture appliance, Arts 201.').waitFor();
    await page.getByRole('button', { name: 'Delete Arts Building 201' }).click();
    await page.getByText('Deleted the room Arts Building 201.').waitFor();
    expect(t.forbidden).toEqual([]);
    await t.context.close();
  });
});

describe('libraries', { timeout: 180_000 }, () => {
  it('adds, changes and removes members, sets a default library, grants features; removing a default library is refused with the reason', async () => {
    const t = await signIn('lbergstrom');
    const { page } = t;
    await page.getByRole('link', { name: 'Libraries' }).click();
    await page.getByRole('button', { name: 'Members of Physics library' }).click();
    await expect.poll(() => page.url()).toContain('library=physics-lib');
    const rows = page.locator('#library-members tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await pickUser(page, 'Person', 'cohen', /Miriam Cohen/);
    await page.getByLabel('Library role').selectOption('viewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('Gave Miriam Cohen the viewer role in Physics library.').waitFor();
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByLabel('Role of mcohen').selectOption('editor');
    await page.getByText('mcohen is now editor in Physics library.').waitFor();
    await page.getByRole('button', { name: 'Make Physics library the default library of mcohen' }).click();
    await page.getByText("Physics library is now mcohen's default library.").waitFor();
    // Refused: the default library cannot be removed.
    await page.getByRole('button', { name: 'Remove mcohen' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/default/i);
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByRole('button', { name: 'Remove rpatel' }).click();
    await page.getByText('Removed rpatel from Physics library.').waitFor();
    await expect.poll(() => rows.count()).toBe(2);

    await pickUser(page, 'Person whose features to change', 'eleanor', /Eleanor Shaw/);
    await expect.poll(() => page.url()).toContain('person=eshaw');
    await page.getByRole('checkbox', { name: 'Live streaming' }).click();
    await page.getByText('Live streaming granted to eshaw.').waitFor();
    expect(await page.getByRole('checkbox', { name: 'Live streaming' }).isChecked()).toBe(true);
    await page.reload();
    await expect.poll(() => page.getByRole('checkbox', { name: 'Live streaming' }).isChecked()).toBe(true);
    await checkPage(page, 'libraries');
    // The box follows the API's answer, so it is clicked (not "unchecked") and the answer awaited.
    await page.getByRole('checkbox', { name: 'Live streaming' }).click();
    await page.getByText('Live streaming revoked from eshaw.').waitFor();

    await page.getByRole('button', { name: 'New library…' }).click();
    await page.getByLabel('Id', { exact: true }).fill('chem-lib');
    await page.getByLabel('Name', { exact: true }).fill('Chemistry library');
    await page.getByLabel('Unit').selectOption('chemistry');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Created the library Chemistry library.').waitFor();
    await page.getByRole('button', { name: 'Delete Chemistry library' }).click();
    await page.getByText('Deleted the library Chemistry library.').waitFor();
    expect(t.forbidden).toEqual([]);
    await t.context.close();
  });
});
