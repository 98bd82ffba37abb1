/**
 * The web console's main journeys in a real browser: Debian's chromium, driven by playwright-core,
 * against the same server `lectern serve` runs (buildApp over a fresh embedded store loaded with
 * scenarios/demo.yaml, serving web/dist) on a free port. The demo has people and units only, so the
 * set-up adds license packs, teaching data, a library and a collection through Lectern.run.
 * With LECTERN_SCREENSHOTS=1 (`npm run screenshots`) each page is photographed into
 * docs/screenshots/; `npm test` leaves the tracked pictures alone.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
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
const PACK_A = 'ID 2026-08-01-000001';
const PACK_B = 'ID 2026-09-15-000002';

let store: Store;
let app: FastifyInstance;
let browser: Browser;
let page: Page;
let base: string;

const SHOOTING = process.env.LECTERN_SCREENSHOTS === '1';

async function shot(name: string): Promise<void> {
  if (SHOOTING) await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/** Picks a user in a typeahead by typing part of a name and choosing the first suggestion. */
async function pickUser(label: string, typed: string, expected: RegExp): Promise<void> {
  const box = page.getByRole('combobox', { name: label });
  await box.fill(typed);
  const option = page.getByRole('option', { name: expected }).first();
  await option.waitFor();
  await box.press('ArrowDown');
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
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, baseURL: base });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
});

describe('the web console', () => {
  it('keeps /health and /docs, and serves the console for client routes', async () => {
    expect((await (await fetch(`${base}/health`)).json()) as unknown).toEqual({ ok: true });
    expect((await fetch(`${base}/docs/json`)).status).toBe(200);
    const deep = await fetch(`${base}/users/eshaw`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    expect((await fetch(`${base}/v1/nothing-here`)).status).toBe(404);
  });

  it('signs in', async () => {
    await page.goto('/');
    await page.getByLabel('Institution', { exact: true }).selectOption('stateu');
    await page.getByLabel('Username or email').fill('hfischer');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBeTruthy();
    await shot('sign-in');
    await page.getByLabel('Password').fill('lectern-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as').waitFor();
    expect(await page.locator('.who').textContent()).toContain('Helen Fischer');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('link', { name: 'Bergström, Lucas' }).waitFor();
    await shot('users');
  });

  it('lists students, searches and pages through the API', async () => {
    await page.getByRole('tab', { name: 'Students' }).click();
    await page.getByRole('link', { name: 'Okafor, Amara' }).waitFor();
    await page.getByLabel('Search').fill('nguyen');
    await expect.poll(() => page.locator('table.grid tbody tr').count()).toBe(1);
    await page.getByLabel('Search').fill('');
    await page.getByRole('tab', { name: 'Staff' }).click();
  });

  it('creates a user', async () => {
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByLabel('Username (id)').fill('zquinn');
    await page.getByLabel('Email').fill('zoe.quinn@stateu.edu');
    await page.getByLabel('First name').fill('Zoe');
    await page.getByLabel('Last name').fill('Quinn');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Zoe Quinn' }).waitFor();
    expect(page.url()).toContain('/users/zquinn');
    await shot('user-profile');
  });

  it('grants a role, and shows why a grant is refused', async () => {
    await page.getByRole('tab', { name: 'Roles' }).click();
    await page.getByLabel('Role', { exact: true }).selectOption('academic_staff');
    await page.getByLabel('Scope').selectOption('physics');
    await page.getByRole('button', { name: 'Grant role' }).click();
    await page.getByRole('cell', { name: 'Department of Physics', exact: true }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Granted academic staff');
    // Only a system admin grants system_admin: the refusal comes back with policy's reason.
    await page.getByLabel('Role', { exact: true }).selectOption('system_admin');
    await page.getByRole('button', { name: 'Grant role' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/system.admin/i);
    await shot('user-roles');
  });

  it('assigns a license from the profile (a checkbox per pack)', async () => {
    await page.getByRole('tab', { name: 'Licenses' }).click();
    const box = page.getByRole('checkbox', { name: new RegExp(PACK_A) });
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await page.getByText(`Assigned a seat of ${PACK_A}.`).waitFor();
    expect(await page.getByRole('checkbox', { name: new RegExp(PACK_A) }).isChecked()).toBe(true);
    await shot('user-licenses');
    await page.getByRole('tab', { name: 'Permissions' }).click();
    await page.getByRole('cell', { name: 'academic staff at Department of Physics', exact: true }).waitFor();
    await shot('user-permissions');
  });

  it('imports a license CSV with a bad row and shows the result per row', async () => {
    await page.getByRole('link', { name: 'Licensing' }).click();
    await page.getByRole('heading', { name: 'Personal Capture licensing' }).waitFor();
    const csv = ['Username,Action,License ID', `rpatel,assign,${PACK_B}`, `nobody@stateu.edu,assign,${PACK_B}`, `wchen,autoassign,`, 'aokafor,assign,ID 2026-08-01-000001'].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'licenses.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import' }).click();
    const rows = page.locator('#import-results tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    // Each row with its user, action and pack, and the outcome in words (issue 17).
    expect(await rows.nth(0).textContent()).toMatch(/^2\s*rpatel\s*assign.*done/);
    expect(await rows.nth(1).textContent()).toMatch(/^3\s*nobody@stateu\.edu.*refused: not found/);
    expect(await rows.nth(3).textContent()).toMatch(/^5\s*aokafor.*refused.*academic/i);
    expect(await page.locator('.results .summary').textContent()).toMatch(/4 rows: 2 applied, 0 unchanged, 2 refused/);
    // The packs table shows the new totals; the export is a download of the same CSV format.
    await page.locator('table.packs tfoot').getByText('7').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('licenses-stateu.csv');
    await shot('licenses');
  });

  it('changes a toggle at a unit, locks it, and shows the lock below', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Unit', { exact: true }).selectOption('engineering');
    const downloads = page.getByRole('combobox', { name: 'Downloads' });
    await expect.poll(() => downloads.isEnabled()).toBe(true);
    await downloads.selectOption('audioOnly');
    // Each change is saved once its preview is accepted (web/src/Preview.tsx; test/browser/preview.spec.ts).
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByText('Downloads: Audio only at Faculty of Engineering.').waitFor();
    await page.getByRole('checkbox', { name: 'Lock Downloads for the levels below' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByText('locked for the levels below').waitFor();
    await page.getByLabel('Unit', { exact: true }).selectOption('civil');
    await page.getByRole('img', { name: 'Locked at Faculty of Engineering' }).waitFor();
    expect(await page.getByRole('combobox', { name: 'Downloads' }).isDisabled()).toBe(true);
    expect(await page.getByRole('combobox', { name: 'Downloads' }).inputValue()).toBe('audioOnly');
    // Q&A is not locked: still changeable here.
    expect(await page.getByRole('switch', { name: 'Q&A' }).isEnabled()).toBe(true);
    await shot('settings');
  });

  it('shows teaching: terms, courses, sections and enrollments', async () => {
    await page.getByRole('link', { name: 'Teaching' }).click();
    await page.getByRole('cell', { name: 'Fall 2026' }).first().waitFor();
    await page.getByRole('link', { name: 'Physics I, section A' }).click();
    await page.getByRole('cell', { name: 'Amara Okafor aokafor' }).waitFor();
    await shot('teaching');
  });

  it('adds and removes a collection member', async () => {
    await page.getByRole('link', { name: 'Collections' }).click();
    await page.getByRole('link', { name: 'Mechanics demonstrations' }).click();
    await page.getByRole('heading', { name: 'Mechanics demonstrations' }).waitFor();
    const members = page.locator('#members tbody tr');
    await expect.poll(() => members.count()).toBe(3);
    await pickUser('Person', 'dubo', /Chloé Dubois/);
    await page.getByLabel('Access level').selectOption('contributor');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('Added Chloé Dubois as contributor.').waitFor();
    await expect.poll(() => members.count()).toBe(4);
    // Sort by one column: access, descending puts the manager first.
    await page.getByRole('button', { name: /^Access/ }).click();
    await page.getByRole('button', { name: /^Access/ }).click();
    await expect.poll(() => members.first().getAttribute('data-user')).toBe('eshaw');
    await shot('collection');
    await page.getByRole('button', { name: 'Remove Chloé Dubois' }).click();
    await page.getByRole('dialog', { name: 'Remove Chloé Dubois?' }).getByRole('button', { name: 'Remove Chloé Dubois' }).click();
    await page.getByText('Removed Chloé Dubois.').waitFor();
    await expect.poll(() => members.count()).toBe(3);
    // Search by name or email.
    await page.getByLabel('Search members').fill('raj');
    await expect.poll(() => members.count()).toBe(1);
  });

  it('answers "why?" with the decision and its reasons', async () => {
    await page.getByRole('link', { name: 'Why?' }).click();
    await pickUser('User', 'amara', /Amara Okafor/);
    await page.getByLabel('Action').selectOption('media.edit');
    await page.getByLabel('Resource type').selectOption('media');
    await page.getByLabel('Resource id').fill('lec1');
    await page.getByRole('button', { name: 'Ask' }).click();
    const decision = page.locator('.decision');
    await decision.waitFor();
    expect(await decision.locator('.verdict').textContent()).toContain('Denied');
    expect(await decision.locator('li').count()).toBeGreaterThan(0);
    await page.getByLabel('Action').selectOption('media.view');
    await page.getByRole('button', { name: 'Ask' }).click();
    await expect.poll(() => decision.locator('.verdict').textContent()).toContain('Allowed');
    await shot('why');
  });

  it('shows the organisation and the audit log', async () => {
    await page.getByRole('link', { name: 'Organisation' }).click();
    await page.getByRole('switch', { name: 'Delegated administration' }).waitFor();
    expect(await page.getByRole('switch', { name: 'Delegated administration' }).isChecked()).toBe(true);
    await page.getByText('Faculty of Science').first().waitFor();
    await page.getByRole('list', { name: 'Organisation units' }).getByRole('link', { name: 'Lucas Bergström' }).waitFor();
    await shot('units');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await pickUser('Done by', 'hfisch', /Helen Fischer/);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('Helen Fischer created Zoe Quinn').first().waitFor();
    await shot('audit');
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
