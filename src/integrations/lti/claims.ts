/**
 * integrations/lti/: LTI 1.3 (1EdTech LTI Core 1.3, Names and Role Provisioning Services 2.0)
 * for Lectern as a tool. It speaks the protocol — OIDC login, signed id_tokens, OAuth2 client
 * credentials with a signed assertion, membership pages — and hands what it read to the `lti.*`
 * operations. It decides nothing: roles, users and sections are policy's and the operations'.
 *
 * This file: the protocol's names.
 */
const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';

export const CLAIM = {
  messageType: `${LTI}message_type`,
  version: `${LTI}version`,
  deploymentId: `${LTI}deployment_id`,
  targetLinkUri: `${LTI}target_link_uri`,
  resourceLink: `${LTI}resource_link`,
  roles: `${LTI}roles`,
  context: `${LTI}context`,
  lis: `${LTI}lis`,
  custom: `${LTI}custom`,
  toolPlatform: `${LTI}tool_platform`,
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice',
} as const;

export const RESOURCE_LINK_REQUEST = 'LtiResourceLinkRequest';
export const LTI_VERSION = '1.3.0';
export const NRPS_SCOPE = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
export const NRPS_MEDIA_TYPE = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A refused launch: a code for the admin's log, a sentence for the person, an HTTP status. */
export class LtiRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
