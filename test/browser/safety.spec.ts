/**
 * Issue 17, part B, in a real browser (Debian's chromium through playwright-core, against buildApp
 * over the demo): every confirmation — cancelled (Cancel and Escape) and confirmed —, the refusal of
 * removing a collection's last manager, messages in words and one at a time, the audit log as
 * sentences with paging and pickers, licensing (Assigned licenses column, academic-staff presenter
 * picker, seat counts, import rows with who and what), the sign-in institution choice, and the
 * layout at 1366×768 and 768 px wide. axe-core (WCAG 2 A/AA) finds nothing on each page, dialogs
 * open included. With LECTERN_SCREENSHOTS=1 the pages are photographed into docs/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { CONSOLE_DIR } from '../../src/api/public.js';
import { loadWorldFile } from '../../src/scenario/run.js';
import { Auth } from '../../src/services/auth.js';
import { Lectern } from '../../src/services/lectern.js';
import { SYSTEM } from '../../src/policy/index.js';
import { Store } from '../../src/store/store.js';

const SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const CHROMIUM = '/usr/bin/chromium';
const PACK_A = 'ID 2026-08-01-000001';
const PACK_B = 'ID 2026-09-15-000002';
const SHOOTING = process.env.LECTERN_SCREENSHOTS === '1';

let store: Store;
let app: FastifyInstance;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;

async function shot(p: Page, name: string): Promise<void> {
  if (SHOOTING) await p.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/** axe-core's WCAG 2 A and AA violations on the page as it is now. */
async function violations(p: Page): Promise<string[]> {
  await p.addScriptTag({ path: AXE });
  return p.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; help: string; nodes: unknown[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
}

async function signIn(p: Page, user: string): Promise<void> {
  await p.goto('/?institution=stateu');
  await expect.poll(() => p.getByLabel('Institution', { exact: true }).inputValue()).toBe('stateu');
  await p.getByLabel('Username or email').fill(user);
  await p.getByLabel('Password').fill('lectern-demo');
  await p.getByRole('button', { name: 'Sign in', exact: true }).click();
  await p.getByText('Signed in as').waitFor();
}

async function signOut(p: Page): Promise<void> {
  await p.getByRole('button', { name: 'Sign out' }).click();
  await p.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
}

/** The dialog now open: its title, and that focus is inside it. */
async function dialogOpen(title: RegExp): Promise<ReturnType<Page['getByRole']>> {
  const d = page.getByRole('dialog', { name: title });
  await d.waitFor();
  expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
  return d;
}

/** Nothing wider than the window: the page never scrolls sideways. */
async function noSidewaysScroll(p: Page): Promise<void> {
  const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll).toBeLessThanOrEqual(inner);
}

beforeAll(async () => {
  if (!existsSync(`${CONSOLE_DIR}/index.html`)) throw new Error('web/dist is not built: run `npm run build:web` first');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  if (SHOOTING) mkdirSync(SHOTS, { recursive: true });
  store = await Store.open({});
  await store.migrate();
  const lectern = new Lectern(store);
  const auth = new Auth(lectern);
  await loadWorldFile(lectern, DEMO, { setPassword: (i, u, p) => auth.storePassword(i, u, p) });
  // A sign-in provider to remove (its issuer is never asked: nobody signs in through it here).
  const idp = await lectern.run(SYSTEM, 'stateu', 'identityProvider.set', { id: 'campus', protocol: 'oidc', displayName: 'Campus login', issuer: 'https://idp.example.edu', clientId: 'lectern', clientSecret: 'not-used' });
  if (idp.status !== 'ok') throw new Error(idp.message);
  app = buildApp({ lectern, auth });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // 1366×768, the laptop size the issue names; bypassCSP lets axe be injected.
  context = await browser.newContext({ viewport: { width: 1366, height: 768 }, baseURL: base, bypassCSP: true });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
});

describe('safe to click (issue 17, part B)', () => {
  it('offers the institutions on the sign-in form, taken from the link', async () => {
    const inst = (await (await fetch(`${base}/v1/sign-in/institutions`)).json()) as { items: Record<string, string>[] };
    expect(inst.items).toEqual([{ id: 'stateu', name: expect.any(String) }]);
    await page.goto('/');
    // The only institution is chosen already.
    await expect.poll(() => page.getByLabel('Institution', { exact: true }).inputValue()).toBe('stateu');
    expect(await violations(page)).toEqual([]);
    await signIn(page, 'hfischer');
  });

  it('shows assigned licenses on the users list', async () => {
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('columnheader', { name: 'Assigned licenses' }).waitFor();
    const row = page.getByRole('row', { name: /Shaw, Eleanor/ });
    expect(await row.textContent()).toContain(PACK_A);
    expect(await violations(page)).toEqual([]);
  });

  it('asks before a bulk deactivate: Escape and Cancel change nothing; confirming does it, with a result per user', async () => {
    await page.getByRole('tab', { name: 'Students' }).click();
    await page.getByRole('checkbox', { name: 'Select Amara Okafor' }).check();
    await page.getByRole('checkbox', { name: 'Select Bao Nguyen' }).check();
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    const d = await dialogOpen(/Deactivate 2 users\?/);
    expect(await d.textContent()).toMatch(/Amara Okafor.*Bao Nguyen/);
    expect(await violations(page)).toEqual([]);
    await shot(page, 'confirm-deactivate');
    // Focus stays in the dialog: Tab from the last control comes back to the first.
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
    expect(await page.getByRole('row', { name: /Okafor, Amara/ }).textContent()).toContain('Active');
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await (await dialogOpen(/Deactivate 2 users\?/)).getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('row', { name: /Okafor, Amara/ }).textContent()).toContain('Active');
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await (await dialogOpen(/Deactivate 2 users\?/)).getByRole('button', { name: 'Deactivate 2 users' }).click();
    await page.getByText('Deactivate: 2 users — 2 done, 0 already so, 0 refused').waitFor();
    await expect.poll(() => page.getByRole('row', { name: /Okafor, Amara/ }).textContent()).toContain('Deactivated');
    await page.getByRole('button', { name: 'Close results' }).click();
  });

  it('asks before revoking all licenses of the selected users', async () => {
    await page.getByRole('tab', { name: 'Staff' }).click();
    await page.getByRole('checkbox', { name: 'Select Miriam Cohen' }).check();
    await page.getByRole('button', { name: 'Revoke all licenses' }).click();
    await (await dialogOpen(/Revoke every license of 1 user\?/)).getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('row', { name: /Cohen, Miriam/ }).textContent()).toContain(PACK_A);
    await page.getByRole('button', { name: 'Revoke all licenses' }).click();
    await (await dialogOpen(/Revoke every license of 1 user\?/)).getByRole('button', { name: 'Revoke all licenses of 1 user' }).click();
    await page.getByText('Revoke all licenses: 1 user — 1 done, 0 already so, 0 refused').waitFor();
    await expect.poll(() => page.getByRole('row', { name: /Cohen, Miriam/ }).textContent()).not.toContain(PACK_A);
    await page.getByRole('button', { name: 'Close results' }).click();
    await page.getByRole('button', { name: 'Clear selection' }).click();
  });

  it('says errors in words, one message at a time', async () => {
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByLabel('Username (id)').fill('nonames');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toMatch(/^(Email|First name|Last name) /);
    expect(text).not.toMatch(/firstName|lastName|field:|\brequired\s*$/);
    // A success, then an error: the success does not stay.
    await page.goto('/users/rpatel');
    await page.getByRole('tab', { name: 'Roles' }).click();
    await page.getByLabel('Role', { exact: true }).selectOption('scheduler');
    await page.getByLabel('Scope').selectOption('physics');
    await page.getByRole('button', { name: 'Grant role' }).click();
    await page.getByText('Granted scheduler.').waitFor();
    await page.getByLabel('Role', { exact: true }).selectOption('system_admin');
    await page.getByRole('button', { name: 'Grant role' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByText('Granted scheduler.').count()).toBe(0);
    expect(await violations(page)).toEqual([]);
  });

  it('asks before revoking a license from the profile', async () => {
    await page.goto('/users/eshaw');
    await page.getByRole('tab', { name: 'Licenses' }).click();
    const box = page.getByRole('checkbox', { name: new RegExp(PACK_A) });
    expect(await box.isChecked()).toBe(true);
    await box.click();
    const d = await dialogOpen(/Revoke this license\?/);
    expect(await d.textContent()).toContain(PACK_A);
    await d.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('checkbox', { name: new RegExp(PACK_A) }).isChecked()).toBe(true);
    await page.getByRole('checkbox', { name: new RegExp(PACK_A) }).click();
    await (await dialogOpen(/Revoke this license\?/)).getByRole('button', { name: `Revoke ${PACK_A}` }).click();
    await page.getByText(`Revoked a seat of ${PACK_A}.`).waitFor();
    expect(await page.getByRole('checkbox', { name: new RegExp(PACK_A) }).isChecked()).toBe(false);
  });

  it('licensing: academic staff only in the presenter picker, revoke asks, the import says who and what', async () => {
    await page.getByRole('link', { name: 'Licensing' }).click();
    await page.getByRole('heading', { name: 'Personal Capture licensing' }).waitFor();
    const picker = page.getByRole('combobox', { name: 'Presenter (academic staff)' });
    await picker.fill('amara');
    await page.waitForTimeout(600);
    expect(await page.getByRole('option', { name: /Amara Okafor/ }).count()).toBe(0);
    await picker.fill('rpatel'); // a username
    await page.getByRole('option', { name: /Raj Patel/ }).click();
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await page.getByText('Assigned a license to Raj Patel.').waitFor();
    const revoke = page.getByRole('button', { name: /Revoke rpatel's seat/ });
    await revoke.click();
    await (await dialogOpen(/Revoke Raj Patel's license\?/)).getByRole('button', { name: 'Cancel' }).click();
    expect(await revoke.count()).toBe(1);
    await revoke.click();
    await (await dialogOpen(/Revoke Raj Patel's license\?/)).getByRole('button', { name: /^Revoke ID/ }).click();
    await expect.poll(() => page.getByRole('button', { name: /Revoke rpatel's seat/ }).count()).toBe(0);
    const csv = ['Username,Action,License ID', `wchen,assign,${PACK_B}`, `nobody@stateu.edu,assign,${PACK_B}`].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'licenses.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import' }).click();
    const rows = page.locator('#import-results tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(new RegExp(`^2\\s*wchen\\s*assign\\s*${PACK_B}\\s*done`));
    expect(await rows.nth(1).textContent()).toMatch(/^3\s*nobody@stateu\.edu\s*assign.*refused/);
    const summary = page.locator('.results .summary');
    expect(await summary.getAttribute('class')).toContain('bad');
    expect(await summary.textContent()).toMatch(/2 rows: 1 applied, 0 unchanged, 1 refused/);
    expect(await violations(page)).toEqual([]);
    await shot(page, 'licenses-import');
  });

  it('asks before institution settings: cancelling leaves delegated administration as it was', async () => {
    await page.getByRole('link', { name: 'Organisation' }).click();
    const da = page.getByRole('switch', { name: 'Delegated administration' });
    await da.waitFor();
    expect(await da.isChecked()).toBe(true);
    await da.click();
    const d = await dialogOpen(/Turn delegated administration off\?/);
    expect(await d.textContent()).toMatch(/\d+ administrators/);
    expect(await violations(page)).toEqual([]);
    await shot(page, 'confirm-delegated-administration');
    await d.getByRole('button', { name: 'Cancel' }).click();
    expect(await da.isChecked()).toBe(true);
    const lib = page.getByRole('switch', { name: /Student library/ });
    await lib.click();
    await (await dialogOpen(/Turn the student library off\?/)).getByRole('button', { name: 'Turn the student library off' }).click();
    await expect.poll(() => lib.isChecked()).toBe(false);
    await lib.click();
    await (await dialogOpen(/Turn the student library on\?/)).getByRole('button', { name: 'Turn the student library on' }).click();
    await expect.poll(() => lib.isChecked()).toBe(true);
  });

  it('removes a collection member only once confirmed, keeps the editor within the page, and deletes a collection once confirmed', async () => {
    await page.goto('/collections/mechanics');
    await page.getByRole('heading', { name: 'Mechanics demonstrations' }).waitFor();
    const members = page.locator('#members tbody tr');
    await expect.poll(() => members.count()).toBe(3);
    // The last manager is not offered for removal to an admin (the server refuses it).
    expect(await page.getByRole('button', { name: 'Remove Eleanor Shaw' }).count()).toBe(0);
    await page.getByRole('button', { name: "Edit Raj Patel's access" }).click();
    await page.getByRole('form', { name: 'Access for Raj Patel' }).waitFor();
    await noSidewaysScroll(page);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Remove Raj Patel' }).click();
    await (await dialogOpen(/Remove Raj Patel\?/)).getByRole('button', { name: 'Cancel' }).click();
    expect(await members.count()).toBe(3);
    await page.getByRole('button', { name: 'Remove Raj Patel' }).click();
    await (await dialogOpen(/Remove Raj Patel\?/)).getByRole('button', { name: 'Remove Raj Patel' }).click();
    await page.getByText('Removed Raj Patel.').waitFor();
    await expect.poll(() => members.count()).toBe(2);
    expect(await violations(page)).toEqual([]);
    // A collection of her own, deleted after the question.
    await page.goto('/collections');
    await page.getByLabel('Id').fill('scratch');
    await page.getByLabel('Name').fill('Scratch pad');
    await page.getByRole('button', { name: 'Create collection' }).click();
    await page.getByRole('heading', { name: 'Scratch pad' }).waitFor();
    await page.getByRole('button', { name: 'Delete collection' }).click();
    await (await dialogOpen(/Delete Scratch pad\?/)).getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Delete collection' }).click();
    await (await dialogOpen(/Delete Scratch pad\?/)).getByRole('button', { name: 'Delete Scratch pad' }).click();
    await page.getByRole('heading', { name: 'Collections' }).waitFor();
    expect(await page.getByRole('link', { name: 'Scratch pad' }).count()).toBe(0);
  });

  it('asks before removing a sign-in provider', async () => {
    await page.getByRole('link', { name: 'Sign-in providers' }).click();
    await page.getByRole('heading', { name: /Campus login/ }).waitFor();
    await page.getByRole('button', { name: 'Remove Campus login' }).click();
    const d = await dialogOpen(/Remove Campus login\?/);
    expect(await d.textContent()).toMatch(/keep their accounts/);
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
    expect(await page.getByRole('heading', { name: /Campus login/ }).count()).toBe(1);
    await page.getByRole('button', { name: 'Remove Campus login' }).click();
    await (await dialogOpen(/Remove Campus login\?/)).getByRole('button', { name: 'Remove Campus login' }).click();
    await page.getByText('Campus login removed.').waitFor();
    expect(await page.getByRole('heading', { name: /Campus login/ }).count()).toBe(0);
    expect(await violations(page)).toEqual([]);
  });

  it('offers no lock for the levels below at a section, and labels explanations', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('columnheader', { name: 'Lock for levels below' }).waitFor();
    const section = page.getByLabel('or section');
    await expect.poll(() => section.locator('option').count()).toBeGreaterThan(1);
    await section.selectOption({ index: 1 });
    await page.getByRole('switch', { name: 'Q&A' }).waitFor();
    expect(await page.getByRole('columnheader', { name: 'Lock for levels below' }).count()).toBe(0);
    expect(await page.locator('table.settings').textContent()).not.toMatch(/\bqa is\b|\bdownloads is\b/);
    expect(await violations(page)).toEqual([]);
  });

  it('reads the audit log as sentences, filters by a picked person, and pages back', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    const entries = page.getByRole('list', { name: 'Audit entries, newest first' }).locator(':scope > li');
    await entries.first().waitFor();
    expect(await page.getByText(/Helen Fischer revoked Eleanor Shaw's license ID 2026-08-01-000001/).count()).toBeGreaterThan(0);
    expect(await page.getByText(/Helen Fischer removed Raj Patel from collection Mechanics demonstrations/).count()).toBe(1);
    expect(await entries.count()).toBe(50);
    await page.getByRole('button', { name: 'Show older entries' }).click();
    await expect.poll(() => entries.count()).toBeGreaterThan(50);
    expect(await violations(page)).toEqual([]);
    await shot(page, 'audit');
    const picker = page.getByRole('combobox', { name: 'Done by' });
    await picker.fill('hfisch');
    await page.getByRole('option', { name: /Helen Fischer/ }).click();
    await page.getByLabel('Object').selectOption('user');
    const who = page.getByRole('combobox', { name: 'User' });
    await who.fill('eshaw');
    await page.getByRole('option', { name: /Eleanor Shaw/ }).click();
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText("Showing what Helen Fischer did to Eleanor Shaw.").waitFor();
    await expect.poll(async () => (await entries.allTextContents()).every((t) => /Helen Fischer .*Eleanor Shaw/.test(t))).toBe(true);
    expect(await entries.count()).toBeGreaterThan(0);
    await signOut(page);
  });

  it('refuses removing the last manager, in words, when she tries to leave', async () => {
    await signIn(page, 'eshaw');
    await page.goto('/collections/mechanics');
    await page.getByRole('button', { name: 'Leave this collection' }).click();
    await (await dialogOpen(/Leave Mechanics demonstrations\?/)).getByRole('button', { name: 'Leave the collection' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Eleanor Shaw is the last manager of collection Mechanics demonstrations, and a collection keeps a manager/);
    expect(await alert.textContent()).not.toMatch(/managerProtected/);
    expect(await page.locator('#members tbody tr').count()).toBe(2);
    await shot(page, 'last-manager-refused');
    await signOut(page);
  });

  it('lets a system admin change a pack’s seats, refusing fewer than assigned in words', async () => {
    await signIn(page, 'mreyes');
    await page.getByRole('link', { name: 'Licensing' }).click();
    const seats = page.getByRole('spinbutton', { name: `Seats of ${PACK_B}` });
    await seats.fill('3');
    await page.getByRole('form', { name: `Seats of ${PACK_B}` }).getByRole('button', { name: 'Save' }).click();
    await page.getByText(`${PACK_B} now has 3 seats.`).waitFor();
    await seats.fill('0');
    await page.getByRole('form', { name: `Seats of ${PACK_B}` }).getByRole('button', { name: 'Save' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).not.toMatch(/\bseats:|conflict/);
    expect(await violations(page)).toEqual([]);
    await signOut(page);
  });

  it('is usable 768 px wide: no sideways scrolling on the users list, the licenses and a collection with the editor open', async () => {
    const narrow = await browser.newContext({ viewport: { width: 768, height: 1024 }, baseURL: base, bypassCSP: true });
    const p = await narrow.newPage();
    p.setDefaultTimeout(15_000);
    await signIn(p, 'hfischer');
    await p.getByRole('columnheader', { name: 'Assigned licenses' }).waitFor();
    await noSidewaysScroll(p);
    expect(await violations(p)).toEqual([]);
    await shot(p, 'users-narrow');
    await p.goto('/licenses');
    await p.getByRole('heading', { name: 'Personal Capture licensing' }).waitFor();
    await noSidewaysScroll(p);
    await p.goto('/collections/mechanics');
    await p.getByRole('button', { name: "Edit Amara Okafor's access" }).click();
    await p.getByRole('form', { name: 'Access for Amara Okafor' }).waitFor();
    await noSidewaysScroll(p);
    await p.goto('/audit');
    await p.getByRole('list', { name: 'Audit entries, newest first' }).locator(':scope > li').first().waitFor();
    await noSidewaysScroll(p);
    await narrow.close();
  });
});
