/**
 * `lectern lti platforms`, `lectern lti sync --platform P --context C [--dry-run]` and
 * `lectern lti rotate-key`: LTI registrations, roster sync from the LMS (NRPS) and Lectern's
 * signing key, from the server's console. As a named user (`--as`) their rights decide; without
 * one, Lectern itself acts.
 */
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { LtiRefusal } from '../integrations/lti/claims.js';
import { LtiService } from '../integrations/lti/launch.js';
import { syncRoster } from '../integrations/lti/nrps.js';
import { SYSTEM, type Principal } from '../policy/index.js';
import { Lectern } from '../services/lectern.js';
import { institutionOf, openStore } from './store.js';

type Common = { institution?: string; as?: string };

async function withLti<T>(cfg: Config, o: Common, fn: (x: { svc: LtiService; institutionId: string; principal: Principal; lectern: Lectern }) => Promise<T>): Promise<T> {
  const store = await openStore(cfg);
  try {
    const lectern = new Lectern(store);
    const institutionId = await institutionOf(store, o.institution);
    const world = await lectern.world(institutionId);
    if (!world) throw new Error(`institution '${institutionId}' does not exist`);
    let principal: Principal = SYSTEM;
    if (o.as) {
      const u = world.findUser(o.as);
      if (!u) throw new Error(`--as: user '${o.as}' does not exist in ${institutionId}`);
      principal = lectern.principal(institutionId, u.id);
    }
    return await fn({ svc: new LtiService(lectern), institutionId, principal, lectern });
  } finally {
    await store.close();
  }
}

export function registerLti(cli: Command, cfg: Config): void {
  const lti = cli.command('lti').description('LTI 1.3: LMS platforms, roster sync (NRPS), Lectern\'s signing key');
  const common = (c: Command) => c.option('--institution <id>', 'the institution (default: the only one)').option('--as <user>', 'act as this user (default: Lectern itself)');

  common(lti.command('platforms').description('the registered LMS platforms, with the URLs to paste into each').option('--base <url>', 'Lectern\'s public URL', process.env.LECTERN_PUBLIC_URL ?? 'http://localhost:8080')).action(
    async (o: Common & { base: string }) =>
      withLti(cfg, o, async ({ lectern, institutionId, principal }) => {
        const w = (await lectern.world(institutionId))!;
        const d = lectern.check(w, principal, 'lti.view', `institution:${institutionId}`);
        if (!d.allow) throw new Error(d.reasons.join('; '));
        for (const p of w.tables.ltiPlatform.values()) {
          const b = o.base.replace(/\/+$/, '');
          console.log(`${p.id}\t${p.name}\tissuer ${p.issuer}\tclient ${p.clientId}`);
          console.log(`  login initiation  ${b}/lti/${institutionId}/${p.id}/login`);
          console.log(`  launch/redirect   ${b}/lti/${institutionId}/${p.id}/launch`);
          console.log(`  JWKS              ${b}/lti/${institutionId}/jwks`);
        }
      }),
  );

  common(lti.command('sync').description('sync a section\'s roster from its LMS course').requiredOption('--platform <id>', 'the registration').requiredOption('--context <id>', 'the LMS context (course) id').option('--dry-run', 'show the difference, write nothing')).action(
    async (o: Common & { platform: string; context: string; dryRun?: boolean }) =>
      withLti(cfg, o, async ({ svc, institutionId, principal }) => {
        try {
          const r = await syncRoster(svc, principal, institutionId, o.platform, o.context, o.dryRun ?? false);
          const line = (what: string, items: { user: string }[], f: (x: never) => string) => items.length && console.log(`${what}: ${items.map((x) => f(x as never)).join(', ')}`);
          console.log(`${r.dryRun ? 'dry run: ' : ''}section ${r.section}: ${r.added.length} added, ${r.changed.length} changed, ${r.removed.length} removed, ${r.unchanged} unchanged, ${r.refused.length} refused`);
          line('added', r.added, (x: { user: string; role: string }) => `${x.user} (${x.role})`);
          line('changed', r.changed, (x: { user: string; from: string; to: string }) => `${x.user} (${x.from} → ${x.to})`);
          line('removed', r.removed, (x: { user: string; role: string }) => `${x.user} (${x.role})`);
          for (const x of r.refused) console.log(`refused ${x.sub}: ${x.message}`);
          for (const n of r.notices) console.log(`note: ${n}`);
        } catch (e) {
          if (e instanceof LtiRefusal) {
            console.error(`sync refused (${e.code}): ${e.message}`);
            process.exitCode = 1;
            return;
          }
          throw e;
        }
      }),
  );

  common(lti.command('rotate-key').description('a new signing key; the old one stays published for an hour')).action(async (o: Common) =>
    withLti(cfg, o, async ({ svc, lectern, institutionId, principal }) => {
      const w = (await lectern.world(institutionId))!;
      const d = lectern.check(w, principal, 'lti.configure', `institution:${institutionId}`);
      if (!d.allow) throw new Error(d.reasons.join('; '));
      console.log(`new key ${(await svc.keys.rotate(institutionId)).kid}`);
    }),
  );
}
