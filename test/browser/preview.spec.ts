/**
 * "What would change?" in the console (docs/PREVIEW.md), in a real browser (Debian's chromium via
 * playwright-core, as console.spec.ts): changing a toggle in Settings opens a confirmation with the
 * preview; Cancel leaves the setting as it was, Save saves it. Turning delegated administration off
 * in Organisation asks the same way. axe-core checks the page with the confirmation open.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/** axe-core's violations on the page as it is now (WCAG 2 A and AA). */
async function violations(): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; help: string; nodes: unknown[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
}

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
  // bypassCSP: axe-core is injected as an inline script, as in sso.spec.ts (the console itself runs under the CSP).
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, baseURL: base, bypassCSP: true });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto('/?institution=stateu');
  // The form offers the institutions once it has them; the link chooses one.
  // (In beforeAll, where expect.poll cannot run: wait for the form to have chosen it.)
  await page.waitForFunction(() => (document.getElementById('institution') as HTMLInputElement | null)?.value === 'stateu' || [...document.querySelectorAll('label')].some((l) => l.textContent === 'Institution' && (l.control as HTMLInputElement | null)?.value === 'stateu'));
  await page.getByLabel('Username or email').fill('hfischer');
  await page.getByLabel('Password').fill('lectern-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
});

describe('the impact preview in the console', () => {
  it('shows what a toggle would change before saving it; Cancel keeps the old value', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Unit', { exact: true }).selectOption('engineering');
    const downloads = page.getByRole('combobox', { name: 'Downloads' });
    await expect.poll(() => downloads.isEnabled()).toBe(true);
    const before = await downloads.inputValue();
    await downloads.selectOption('off');
    const dialog = page.getByRole('dialog', { name: 'What would change?' });
    await dialog.waitFor();
    // The preview arrives: a sentence about the change (the demo may have nobody affected there).
    await expect.poll(async () => (await dialog.textContent()) ?? '').toMatch(/Setting Downloads to Off at .*(lets|stops|nobody would gain or lose|would change nothing)/);
    await expect.poll(async () => (await dialog.textContent()) ?? '').toMatch(/locks below it/);
    expect(await violations()).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await downloads.inputValue()).toBe(before);
  });

  it('saves the toggle once the preview is accepted', async () => {
    const downloads = page.getByRole('combobox', { name: 'Downloads' });
    await downloads.selectOption('off');
    const dialog = page.getByRole('dialog', { name: 'What would change?' });
    const save = dialog.getByRole('button', { name: 'Save' });
    await expect.poll(() => save.isEnabled()).toBe(true);
    await save.click();
    await page.getByText('Downloads: Off at Faculty of Engineering.').waitFor();
    expect(await downloads.inputValue()).toBe('off');
  });

  it('asks before turning delegated administration off, and Cancel changes nothing', async () => {
    await page.getByRole('link', { name: 'Organisation' }).click();
    const da = page.getByRole('switch', { name: 'Delegated administration' });
    await da.waitFor();
    const was = await da.isChecked();
    await da.click();
    // The page's own question heads the dialog; the preview sits under it.
    const dialog = page.getByRole('dialog', { name: `Turn delegated administration ${was ? 'off' : 'on'}?` });
    await dialog.waitFor();
    await expect.poll(async () => (await dialog.textContent()) ?? '').toMatch(new RegExp(`Turning delegated administration ${was ? 'off' : 'on'}`));
    expect(await violations()).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await da.isChecked()).toBe(was);
  });
});
