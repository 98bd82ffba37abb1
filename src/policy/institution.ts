/**
 * Platform and institution rules (SPEC §1, §3): system admins run the platform and create
 * institutions; an admin of the root configures the institution.
 */
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import type { Query, RuleTable } from './types.js';

/**
 * The Ensemble seed's institutional administrator: branding, custom metadata, player settings,
 * portals and workflow templates are set by an admin of the root (or a system admin).
 */
function institutionAdmin(what: string): (q: Query) => Decision {
  return ({ actor, world, resource }) => {
    if (resource.type !== 'institution' || resource.id !== world.institutionId) return deny(because`${what} belongs to an institution; ${resource.type}:${resource.id} is not ${world.institutionId}`);
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root, who sets ${what}`)
      : deny(because`${what} is set only by an admin of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  };
}

/** Admins of the root (and system admins) only; `refusal` says what the actor was refused. */
export function rootAdminOnly(refusal: string): (q: Query) => Decision {
  return ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root`)
      : deny(because`${refusal} by an admin of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  };
}

/** The Ensemble seed's system administrator: licensing, logs, security, transcoding. */
function systemAdmin(what: string): (q: Query) => Decision {
  return ({ actor }) => (actor.isSystemAdmin ? allow(because`${actor.name} is a system admin, who controls ${what}`) : deny(because`only a system admin controls ${what}; ${actor.name} is not one`));
}

export const institutionRules: RuleTable = {
  'institution.branding': institutionAdmin('the branding'),
  'institution.metadata': institutionAdmin('the custom metadata fields'),
  'institution.player': institutionAdmin('the player settings'),
  'institution.portals': institutionAdmin('the portals'),
  'institution.workflowTemplates': institutionAdmin('the workflow templates'),
  'platform.licensing': systemAdmin('the platform licensing'),
  'platform.logs': systemAdmin('the platform logs'),
  'platform.security': systemAdmin('the platform security settings'),
  'platform.transcoder': systemAdmin('the transcoder settings'),
  'platform.transcodeProfiles': systemAdmin('the transcode profiles'),
  'platform.configure': ({ actor }) =>
    actor.isSystemAdmin ? allow(because`${actor.name} is a system admin`) : deny(because`only a system admin configures the platform; ${actor.name} is not one`),
  'institution.create': ({ actor }) =>
    actor.isSystemAdmin ? allow(because`${actor.name} is a system admin`) : deny(because`only a system admin creates institutions; ${actor.name} is not one`),
  'audit.view': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root`)
      : deny(because`the audit log is read by admins of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  },
  'institution.configure': rootAdminOnly('institution settings are changed only'),
};
