/**
 * Identity providers (issue 14): who configures an institution's sign-in providers, and which
 * roles a provider's attribute mapping may hand out. An institution admin (the Ensemble seed's
 * "Institutional Administrator: … set identity providers") and system admins configure them; no
 * mapping may ever yield a role that governs other people (admin, system_admin, license_manager).
 */
import { ROLE_LABEL, isStaffRole } from '../domain/catalog.js';
import { allow, because, deny } from '../domain/outcome.js';
import { rootAdminOnly } from './institution.js';
import type { RuleTable } from './types.js';

/** The only roles a provider may grant at sign-in: the ones that give a person no power over others. */
export const SSO_MAPPABLE_ROLES = ['academic_staff'] as const;

/** Why a provider may not map an attribute value to `role`, or undefined when it may. */
export function ssoRoleMappingProblem(role: string): string | undefined {
  if (!isStaffRole(role)) return `'${role}' is not a staff role`;
  if ((SSO_MAPPABLE_ROLES as readonly string[]).includes(role)) return undefined;
  return `a sign-in provider may not hand out ${ROLE_LABEL[role]} (only ${SSO_MAPPABLE_ROLES.join(', ')}): roles with power over others are granted by an admin`;
}

export const identityRules: RuleTable = {
  'identityProvider.configure': rootAdminOnly('identity providers are set'),
  'identityProvider.view': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root`)
      : deny(because`identity provider settings are read by admins of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  },
};
