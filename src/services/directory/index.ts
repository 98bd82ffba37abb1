/**
 * External identity providers (SPEC §9): directories that fill a new user's names and email from
 * their username. `Lectern.directories` holds them by provider name; `lectern serve` registers the
 * ones in LECTERN_IDENTITY_PROVIDERS. See docs/IDENTITY.md.
 */
export { DirectoryError, type Person } from './types.js';
export { LdapDirectory, ldapFilter, type LdapOptions } from './ldap.js';
export { FileDirectory, parseDirectoryFile } from './file.js';
export { loadIdentityProviders, openDirectory, parseIdentityProviders, type ProviderConfig } from './config.js';
