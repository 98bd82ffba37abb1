/**
 * An institution's sign-in providers (issue 14): identityProvider.set (create or update) and
 * identityProvider.delete, both on `institution:<id>` under `identityProvider.configure`.
 * Secrets (an OIDC client secret) are written here and never returned; the audit log shows only
 * that they are set (SECRET_COLUMNS).
 */
import { invalid, notFound } from '../../domain/outcome.js';
import type { IdentityProviderRow } from '../../domain/rows.js';
import { buildSettings, PROTOCOLS, readProvider, SETTING_FIELDS, SettingsError, type Protocol } from '../../integrations/sso/config.js';
import { ssoRoleMappingProblem } from '../../policy/index.js';
import { custom, defineOp, type Operation } from '../operation.js';
import { type Args, bool, oneOf, optional, passed, text } from '../validate.js';

/** A provider name, as users carry it in `identityProvider` (the same rule as the providers file's). */
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function providerId(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalid('id', 'is required', 'required');
  const id = v.trim();
  if (id === 'local') throw invalid('id', "'local' is Lectern's own accounts and cannot be a provider", 'format');
  if (!PROVIDER_NAME.test(id)) throw invalid('id', `'${id}' is not a provider name (1–64 letters, digits, dots, dashes or underscores)`, 'format');
  return id;
}

/** Both are decided as `identityProvider.configure` on the institution. */
const onInstitution = custom<unknown, undefined>(({ world }) => ({ action: 'identityProvider.configure', resource: `institution:${world.institutionId}`, context: {} }));

/** The protocol's settings are read by integrations/sso/config.ts, which names the field at fault. */
const settingFields = Object.fromEntries(SETTING_FIELDS.map((f) => [f, optional(passed())]));

export const identityOps: Record<string, Operation> = {
  'identityProvider.set': defineOp({
    action: 'identityProvider.configure',
    args: { id: passed(), protocol: optional(oneOf(PROTOCOLS)), displayName: optional(text(100)), enabled: optional(bool()), ...settingFields },
    on: onInstitution,
    plan({ world: w, args }) {
      const id = providerId(args.id);
      const protocolArg = args.protocol;
      const displayName = args.displayName;
      const enabled = args.enabled;
      const oldRow = w.tables.identityProvider.get(id);
      const old = oldRow ? readProvider(oldRow) : undefined;
      const protocol: Protocol | undefined = protocolArg ?? old?.protocol;
      if (!protocol) throw invalid('protocol', `is required for a new provider (${PROTOCOLS.join(' or ')})`, 'required');
      if (old && protocol !== old.protocol) throw invalid('protocol', `'${id}' is an ${old.protocol.toUpperCase()} provider; delete it and create a new one to change protocol`, 'invalid');
      let settings;
      try {
        settings = buildSettings(protocol, args as Args, old);
      } catch (e) {
        if (e instanceof SettingsError) throw invalid(e.field, `${e.field}: ${e.message}`);
        throw e;
      }
      settings.config.roles.forEach((m, i) => {
        const problem = ssoRoleMappingProblem(m.role);
        if (problem) throw invalid(`roles[${i}].role`, `roles[${i}].role: ${problem}`, 'forbiddenRole');
        if (!w.tables.unit.has(m.unit)) throw invalid(`roles[${i}].unit`, `roles[${i}].unit: unit '${m.unit}' does not exist`, 'notFound');
      });
      const row: IdentityProviderRow = {
        institutionId: w.institutionId,
        id,
        protocol,
        displayName: displayName ?? old?.displayName ?? id,
        enabled: enabled ?? old?.enabled ?? true,
        config: JSON.stringify(settings.config),
        secret: JSON.stringify(settings.secret),
      };
      const same = oldRow && JSON.stringify(row) === JSON.stringify(oldRow);
      return { changes: same ? [] : [{ table: 'identityProvider', op: 'put', row }], target: `identityProvider:${id}`, result: { id } };
    },
  }),
  'identityProvider.delete': defineOp({
    action: 'identityProvider.configure',
    args: { id: passed() },
    on: onInstitution,
    plan({ world: w, args }) {
      const id = providerId(args.id);
      const row = w.tables.identityProvider.get(id);
      if (!row) throw notFound('id', 'identity provider', id);
      return { changes: [{ table: 'identityProvider', op: 'del', row }], target: `identityProvider:${id}`, result: { id } };
    },
  }),
};
