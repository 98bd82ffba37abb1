/**
 * Error bodies in words for people (issue 17): beside the stable `code`, the `field` and the
 * `message` programs read ("firstName: is required"), every error the API sends carries `text`,
 * the same refusal as a sentence with the field's label in place of its key and no codes
 * ("First name is required."). Made here once, for every route, by the error handler.
 */
import type { ErrorBody } from './http.js';

/** Fields whose label is not just their key in words. */
const LABELS: Record<string, string> = {
  id: 'Id',
  identityProvider: 'Identity provider',
  pack: 'License pack',
  packs: 'License packs',
  user: 'User',
  users: 'Users',
  'X-Lectern-CSRF': 'The X-Lectern-CSRF header',
};

/** `firstName` → "First name", `roles.0.unit` → "Unit (roles, item 1)". */
export function fieldLabel(field: string): string {
  const parts = field.split('.').filter(Boolean);
  const last = parts.filter((p) => !/^\d+$/.test(p)).pop() ?? field;
  const words = LABELS[last] ?? capital(last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase());
  const index = parts.find((p) => /^\d+$/.test(p));
  const outer = parts.length > 1 ? parts[0] : undefined;
  return outer && outer !== last ? `${words} (${outer}${index !== undefined ? `, item ${Number(index) + 1}` : ''})` : words;
}

const capital = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/** JSON-schema phrasing (from the request validator) said plainly. */
const PLAIN: [RegExp, string][] = [
  [/^must NOT have fewer than 1 characters?$/, 'must not be empty'],
  [/^must NOT have fewer than (\d+) characters$/, 'must be at least $1 characters long'],
  [/^must NOT have more than (\d+) characters$/, 'must be at most $1 characters long'],
  [/^must match format "email"$/, 'must be an email address'],
  [/^must match format "date-time"$/, 'must be a date and time'],
  [/^must match format "date"$/, 'must be a date (yyyy-mm-dd)'],
  [/^must be integer$/, 'must be a whole number'],
  [/^must be string$/, 'must be text'],
  [/^must be boolean$/, 'must be true or false'],
  [/^must be >= (\S+)$/, 'must be at least $1'],
  [/^must be <= (\S+)$/, 'must be at most $1'],
  [/^must have required property '.*'$/, 'is required'],
  [/^must be equal to one of the allowed values$/, 'is not one of the allowed values'],
];

/** The sentence for an error body. */
export function inWords(b: Pick<ErrorBody, 'message' | 'field'>): string {
  let m = b.message.trim();
  if (b.field !== undefined && b.field !== '') {
    const prefix = `${b.field}: `;
    if (m.startsWith(prefix)) {
      let rest = m.slice(prefix.length);
      for (const [re, plain] of PLAIN) rest = rest.replace(re, plain);
      m = `${fieldLabel(b.field)} ${rest}`;
    }
  }
  return /[.!?)]$/.test(m) ? m : `${m}.`;
}

/** The body as sent: the same, with `text` added. */
export function withText<T extends ErrorBody>(b: T): T & { text: string } {
  return { ...b, text: inWords(b) };
}
