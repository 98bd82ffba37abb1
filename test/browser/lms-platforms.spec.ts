/**
 * The console's LMS platforms page (issue 15) in Debian's chromium: an admin of the institution
 * root registers an LMS, sees the three URLs its administrator pastes into the LMS, changes the
 * registration, is told what is wrong with a bad one, and removes it; a person who is not an admin
 * gets no such page in the navigation. axe-core checks the list and the form (WCAG 2 A and AA).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { CONSOLE_DIR } from '../../src/api/public.js';
import { SYSTEM } from '../../src/policy/index.js';
import { Auth } from '../../src/services/auth.js';
import { Lectern } from '../../src/services/lectern.js';
import { Store } from '../../src/store/store.js';
import { ok, smallInstitution } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let store: Store;
let lectern: Lectern;
let app: FastifyInstance;
let browser: Browser;
let base: string;
let inst: string;

async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; help: string; nodes: unknown[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
}

async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.goto(`${base}/?institution=${inst}`);
  // The form offers the institutions once it has them; the link chooses one.
  await expect.poll(() => page.getByLabel('Institution', { exact: true }).inputValue()).toBe(inst);
  await page.getByLabel('Username or email').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText('Signed in as').waitFor();
}

beforeAll(async () => {
  if (!existsSync(`${CONSOLE_DIR}/index.html`)) throw new Error('web/dist is not built: run `npm run build:web` first (npm run test:browser does)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  store = await Store.open({});
  await store.migrate();
  lectern = new Lectern(store);
  const auth = new Auth(lectern);
  inst = await smallInstitution(lectern, 'lmsu');
  await auth.storePassword(inst, 'root', 'root-password');
  // Academic staff of a faculty: signs in to the console, administers nothing.
  ok(await lectern.run(SYSTEM, inst, 'role.grant', { user: 'stu', role: 'academic_staff', scope: 'science' }));
  await auth.storePassword(inst, 'stu', 'stu-password');
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

describe('LMS platforms in the console', () => {
  it('registers, shows the URLs to paste, changes, refuses bad input and removes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, 'root', 'root-password');
    await page.getByRole('link', { name: 'LMS platforms' }).click();
    await page.getByText('No LMS is registered yet.').waitFor();
    expect(await violations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Register an LMS' }).click();
    await page.getByLabel('Registration id').fill('canvas');
    await page.getByLabel('Name', { exact: true }).fill('Canvas');
    await page.getByLabel('Issuer').fill('https://canvas.instructure.com');
    await page.getByLabel('Client id').fill('10000000000042');
    await page.getByLabel('Deployment ids (one per line)').fill('17:8a3f\n18:beef');
    await page.getByLabel('OIDC authorization URL').fill('https://sso.canvaslms.com/api/lti/authorize_redirect');
    await page.getByLabel('LMS keyset URL (JWKS)').fill('https://sso.canvaslms.com/api/lti/security/jwks');
    await page.getByLabel('OAuth2 token URL').fill('https://sso.canvaslms.com/login/oauth2/token');
    await page.getByLabel('Create new courses in').selectOption('physics');
    await page.getByLabel('Role mapping').fill('Mentor = teaching_assistant');
    expect(await violations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Canvas saved.').waitFor();

    // The three URLs an LMS admin pastes, as the API builds them for this server.
    const card = page.getByRole('region', { name: /Canvas/ });
    await card.getByText(`${base}/lti/${inst}/canvas/login`).waitFor();
    await card.getByText(`${base}/lti/${inst}/canvas/launch`).waitFor();
    await card.getByText(`${base}/lti/${inst}/jwks`).waitFor();
    expect(await card.textContent()).toContain('17:8a3f, 18:beef');
    expect(await violations(page)).toEqual([]);
    // What the operation stored: the unit and the mapping merged over the defaults.
    const w = (await lectern.refresh(inst))!;
    const row = w.tables.ltiPlatform.get('canvas')!;
    expect(row.unitId).toBe('physics');
    expect(JSON.parse(row.roleMapping)).toMatchObject({ 'http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor': 'teaching_assistant', 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner': 'student' });

    // Change it: a bad URL is refused with the field named, then a good change is saved.
    await card.getByRole('button', { name: 'Change Canvas' }).click();
    expect(await page.getByLabel('Registration id').getAttribute('readonly')).not.toBeNull();
    await page.getByLabel('Token audience (if not the token URL)').fill('https://api.example/token');
    await page.getByLabel('OIDC authorization URL').evaluate((el: HTMLInputElement) => {
      el.type = 'text';
    });
    await page.getByLabel('OIDC authorization URL').fill('ftp://canvas.example/auth');
    await page.getByRole('button', { name: 'Save' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Auth url/i);
    expect((await lectern.refresh(inst))!.tables.ltiPlatform.get('canvas')!.tokenAudience).toBe('');
    await page.getByLabel('OIDC authorization URL').fill('https://sso.canvaslms.com/api/lti/authorize_redirect');
    await page.getByLabel('Roster sync after an instructor’s launch, at most every (minutes; 0 = on demand only)').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Canvas saved.').waitFor();
    await card.getByText(/roster synced on demand only/).waitFor();
    const changed = (await lectern.refresh(inst))!.tables.ltiPlatform.get('canvas')!;
    expect(changed.tokenAudience).toBe('https://api.example/token');
    expect(changed.syncMinutes).toBe(0);

    page.once('dialog', (d) => void d.accept());
    await card.getByRole('button', { name: 'Remove Canvas' }).click();
    await page.getByText('Canvas removed.').waitFor();
    await page.getByText('No LMS is registered yet.').waitFor();
    expect((await lectern.refresh(inst))!.tables.ltiPlatform.size).toBe(0);
    await context.close();
  });

  it('is not in the navigation of academic staff who administer nothing', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    // The navigation comes from the session's abilities (lti.view is not among stu's): no probe, no 403.
    const forbidden: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 403) forbidden.push(r.url());
    });
    await signIn(page, 'stu', 'stu-password');
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    expect(forbidden).toEqual([]);
    // Asked directly, the API refuses with policy's reason.
    const r = await page.request.get(`${base}/v1/lti/platforms`);
    expect(r.status()).toBe(403);
    expect(((await r.json()) as { reasons?: string[] }).reasons?.join(' ')).toMatch(/admins of the root/);
    expect(await page.getByRole('link', { name: 'LMS platforms' }).count()).toBe(0);
    await context.close();
  });
});
