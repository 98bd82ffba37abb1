/**
 * The imports and exports page in a real browser (issue 17): Debian's chromium against the server
 * `lectern serve` runs (buildApp over a fresh embedded store loaded with scenarios/demo.yaml). An
 * institution admin checks a users file by dry run, sees the job's rows with each row's username
 * and action, filters to the refused rows, downloads the result file, imports the file for real,
 * and downloads an export; the URL keeps the kind, the job and the filter. axe-core (injected: the
 * context bypasses the console's CSP) finds no WCAG 2 A/AA violation on the page.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
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

const DEMO = fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let store: Store;
let app: FastifyInstance;
let browser: Browser;
let page: Page;
let base: string;

async function violations(): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; help: string; nodes: unknown[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
}

/** A users file: 60 new users, and every tenth row an update of someone who does not exist. */
const USERS =
  'Action,Id,Username,Email,First Name,Last Name\r\n' +
  Array.from({ length: 60 }, (_, i) => (i % 10 === 9 ? `update,ghost${i},,,,` : `,newbie${i},newbie${i},newbie${i}@stateu.edu,New,Bie${i}`)).join('\r\n') +
  '\r\n';

beforeAll(async () => {
  if (!existsSync(`${CONSOLE_DIR}/index.html`)) throw new Error('web/dist is not built: run `npm run build:web` first (npm run test:browser does)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
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
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, baseURL: base, bypassCSP: true, acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
});

describe('the imports and exports page', () => {
  it('signs in as an institution admin and opens the page from the navigation', async () => {
    await page.goto('/?institution=stateu');
    // The form offers the institutions once it has them; the link chooses one.
  await expect.poll(() => page.getByLabel('Institution', { exact: true }).inputValue()).toBe('stateu');
    await page.getByLabel('Username or email').fill('pnatarajan');
    await page.getByLabel('Password').fill('lectern-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as').waitFor();
    await page.getByRole('link', { name: 'Imports and exports' }).click();
    await page.getByRole('heading', { name: 'Imports and exports' }).waitFor();
    expect(await violations()).toEqual([]);
  });

  it("checks a file by dry run and shows each row's username, action and reason, then only the refused rows", async () => {
    await page.getByLabel('Kind of file').selectOption('users');
    expect(page.url()).toContain('kind=users');
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(USERS) });
    await page.getByRole('button', { name: 'Check file' }).click();
    await page.getByRole('heading', { name: 'Dry run: what the import would do' }).waitFor();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'rows:' }).textContent()).toContain('60 rows: 54 would be applied, 0 unchanged, 6 refused.');
    expect(page.url()).toMatch(/job=[A-Za-z0-9_-]+/);
    const table = page.locator('#job-rows');
    await table.locator('tbody tr').first().waitFor();
    expect(await table.locator('thead th').allTextContents()).toEqual(['Line', 'Outcome', 'Action', 'Id', 'Username', 'Email', 'Reason']);
    expect(await table.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['2', 'applied', '', 'newbie0', 'newbie0', 'newbie0@stateu.edu', '']);
    expect(await table.locator('tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(10);
    expect(page.url()).toContain('offset=50');
    await page.getByLabel('Only refused rows').check();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(6);
    expect(page.url()).toContain('refused=1');
    expect(page.url()).not.toContain('offset=');
    expect(await table.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['11', 'notFound', 'update', 'ghost9', '', '', "Id: user 'ghost9' does not exist"]);
    expect(await violations()).toEqual([]);
  });

  it('keeps the job and the filter on reload, and downloads the result file', async () => {
    await page.reload();
    await expect.poll(() => page.locator('#job-rows tbody tr').count()).toBe(6);
    expect(await page.getByLabel('Only refused rows').isChecked()).toBe(true);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the result file (CSV)' }).click()]);
    const text = readFileSync((await download.path())!, 'utf8');
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('line,outcome,code,reason,Action,Id,Username,Email,First Name,Last Name,Identity Provider,Status');
    expect(lines).toHaveLength(7);
    expect(lines[1]).toBe("11,notFound,notFound,Id: user 'ghost9' does not exist,update,ghost9,,,,,,");
  });

  it('imports the file for real, with a summary that is not green when rows were refused', async () => {
    await page.getByLabel('Dry run (report only, change nothing)').uncheck();
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(USERS) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Import result' }).waitFor();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'rows:' }).textContent()).toContain('54 applied');
    expect(await page.locator('.badge.off', { hasText: '6 refused' }).count()).toBe(1);
    // The users are there.
    const user = await page.request.get(`${base}/v1/users/newbie0`);
    expect(user.status()).toBe(200);
    expect(await user.text()).toContain('newbie0@stateu.edu');
  });

  it('refuses a file with an unknown column before any row, naming it', async () => {
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('Id,Shoe Size\r\nx,42\r\n') });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain("unknown column 'Shoe Size'");
  });

  it('downloads an export of what the user may see', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Users (CSV)' }).click()]);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.split('\r\n')[0]).toBe('Action,Id,Username,Email,First Name,Last Name,Identity Provider,Status');
    expect(text).toContain(',newbie0,newbie0,newbie0@stateu.edu,New,Bie0,local,active');
    expect(text).toContain(',hfischer,');
    expect(await violations()).toEqual([]);
  });
});
