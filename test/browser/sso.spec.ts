/**
 * Single sign-on in a real browser (issue 14): Debian's chromium signs in to the console through a
 * real OpenID provider (`oidc-provider` on a loopback port, its own login and consent pages), and
 * an institution admin opens the sign-in providers page. axe-core checks both pages (injected, so
 * the contexts bypass the console's CSP, which allows no script but its own).
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
import { startOidcIdp, type OidcIdp } from '../sso/oidc-idp.js';

const CHROMIUM = '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let store: Store;
let app: FastifyInstance;
let browser: Browser;
let idp: OidcIdp;
let base: string;
let inst: string;

/** axe-core's violations on the page as it is now (WCAG 2 A and AA). */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; help: string; nodes: unknown[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
  return found;
}

beforeAll(async () => {
  if (!existsSync(`${CONSOLE_DIR}/index.html`)) throw new Error('web/dist is not built: run `npm run build:web` first (npm run test:browser does)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  store = await Store.open({});
  await store.migrate();
  const lectern = new Lectern(store);
  const auth = new Auth(lectern);
  inst = await smallInstitution(lectern, 'stateu');
  await auth.storePassword(inst, 'root', 'root-password');
  app = buildApp({ lectern, auth });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  idp = await startOidcIdp([`${base}/v1/sso/${inst}/campus/oidc/callback`], [`${base}/`]);
  idp.people.set('carol', { given_name: 'Carol', family_name: 'Chen', email: 'carol@stateu.edu', preferred_username: 'carol', groups: ['faculty'] });
  ok(
    await lectern.run(SYSTEM, inst, 'identityProvider.set', {
      id: 'campus',
      protocol: 'oidc',
      displayName: 'State U login',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      jit: true,
      roles: [{ value: 'faculty', role: 'academic_staff', unit: 'science' }],
    }),
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await idp?.close();
  await store?.close();
});

describe('single sign-on in the console', () => {
  it('signs in through the institution’s OpenID provider from the sign-in page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/?institution=${inst}`);
    const button = page.getByRole('link', { name: 'Sign in with State U login' });
    await button.waitFor();
    // The password form stays beside the providers.
    await expect.poll(() => page.getByLabel('Password').count()).toBe(1);
    expect(await violations(page)).toEqual([]);
    await button.click();
    // The provider's own login page, then its consent page.
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.locator('input[name="login"]').fill('carol');
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.origin === base);
    await page.getByText('Signed in as').waitFor();
    expect(await page.locator('.who').innerText()).toContain('Carol Chen');
    // Signing out ends Lectern's session and offers the provider's logout.
    await page.getByRole('button', { name: 'Sign out' }).click();
    const offer = page.getByRole('link', { name: 'Also sign out of State U login' });
    await offer.waitFor();
    expect(await offer.getAttribute('href')).toContain(`${idp.issuer}/session/end`);
    await context.close();
  });

  it('shows an institution admin the providers, with the redirect URI, and stays accessible', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/`);
    await page.getByLabel('Institution', { exact: true }).selectOption(inst); // a choice since issue 17
    await page.getByLabel('Username or email').fill('root');
    await page.getByLabel('Password').fill('root-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('link', { name: 'Sign-in providers' }).click();
    await page.getByRole('heading', { name: /State U login/ }).waitFor();
    expect(await page.getByText(`${base}/v1/sso/${inst}/campus/oidc/callback`).count()).toBe(1);
    await page.getByRole('button', { name: 'Add a provider' }).click();
    await page.getByLabel('IdP metadata XML').waitFor();
    expect(await violations(page)).toEqual([]);
    await context.close();
  });
});
