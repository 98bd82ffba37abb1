/**
 * The SCIM filter grammar (RFC 7644 §3.4.2.2): the RFC's own examples parse and select what they
 * say; printing and parsing again gives the same tree (property); anything else — garbage,
 * unknown attributes, operators that do not suit the attribute — is refused with invalidFilter
 * and never crashes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from '../src/integrations/scim/errors.js';
import { compileFilter, COMPARE_OPS, parseFilter, printFilter, type Filter } from '../src/integrations/scim/filter.js';
import { GROUP_KIND, URN, USER_KIND } from '../src/integrations/scim/schema.js';

const user = (over: Record<string, unknown> = {}) => ({
  schemas: [URN.user],
  id: 'bjensen',
  externalId: 'ext-1',
  userName: 'bjensen@example.com',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
  active: true,
  [URN.enterprise]: { department: 'Physics' },
  meta: { resourceType: 'User', created: '2026-01-01T00:00:00.000Z', lastModified: '2026-06-01T12:00:00.000Z', version: 'W/"a"' },
  ...over,
});

const matches = (filter: string, r: Record<string, unknown> = user()) => compileFilter(USER_KIND, parseFilter(filter))(r);

function refusal(filter: string, kind = USER_KIND): ScimError {
  try {
    compileFilter(kind, parseFilter(filter));
  } catch (e) {
    expect(e).toBeInstanceOf(ScimError);
    return e as ScimError;
  }
  throw new Error(`'${filter}' was accepted`);
}

describe('SCIM filters', () => {
  it('parses and applies the RFC examples', () => {
    expect(matches('userName eq "bjensen@example.com"')).toBe(true);
    expect(matches('userName Eq "BJENSEN@example.com"')).toBe(true); // operators and userName are case-insensitive
    expect(matches('name.familyName co "ens"')).toBe(true);
    expect(matches('userName sw "bj"')).toBe(true);
    expect(matches('userName ew ".com"')).toBe(true);
    expect(matches('externalId eq "EXT-1"')).toBe(false); // externalId is case-exact
  });

  it('combines with and, or, not and grouping with the RFC precedence', () => {
    expect(matches('userName eq "x" or userName sw "bj" and active eq true')).toBe(true);
    expect(matches('(userName eq "x" or userName sw "bj") and active eq false')).toBe(false);
    expect(matches('not (active eq false)')).toBe(true);
    expect(matches('not(userName eq "bjensen@example.com")')).toBe(false);
    // and binds tighter than or
    const f = parseFilter('a1 eq "1" or userName eq "2" and active eq true'.replace('a1', 'id'));
    expect(f.kind).toBe('or');
  });

  it('compares meta.lastModified as dates with gt, ge, lt and le', () => {
    expect(matches('meta.lastModified gt "2026-05-31T00:00:00Z"')).toBe(true);
    expect(matches('meta.lastModified lt "2026-05-31T00:00:00Z"')).toBe(false);
    expect(matches('meta.lastModified ge "2026-06-01T12:00:00.000Z"')).toBe(true);
    expect(matches('meta.lastModified le "2026-06-01T11:59:59Z"')).toBe(false);
    expect(matches('meta.created lt "2026-06-01T00:00:00+02:00"')).toBe(true);
  });

  it('filters multi-valued attributes, value paths and extension attributes', () => {
    expect(matches('emails[type eq "work" and value co "@example.com"]')).toBe(true);
    expect(matches('emails[type eq "home"]')).toBe(false);
    expect(matches('emails co "example.com"')).toBe(true);
    expect(matches('emails.type eq "work"')).toBe(true);
    expect(matches(`${URN.user}:userName sw "bjensen"`)).toBe(true);
    expect(matches(`${URN.enterprise}:department eq "physics"`)).toBe(true);
    expect(matches('userName pr and emails pr and not (externalId eq null)')).toBe(true);
    expect(matches('externalId eq null', user({ externalId: undefined }))).toBe(true);
    expect(matches('userName ne "someone"')).toBe(true);
  });

  it('refuses what it does not understand with invalidFilter, saying what and where', () => {
    const cases = [
      'userName', 'userName eq', 'userName eq bjensen', 'userName like "b"', '(userName eq "b"', 'userName eq "b")',
      'userName eq "b" and', 'and userName eq "b"', 'nosuch eq "x"', 'name.nosuch eq "x"', 'emails[type eq "work"', 'emails[nosuch eq "x"]',
      'active gt true', 'active eq "yes"', 'userName gt 3', 'meta.lastModified co "2026"', 'meta.lastModified gt "yesterday"',
      'userName eq "unterminated', 'userName eq "\\q"', 'name eq "x"', 'a.b.c eq "x"', 'userName eq "a" # "b"', '', '   ',
      'userName gt null', 'emails[type eq "w"][value eq "x"]', `urn:example:other:2.0:User:userName eq "x"`, 'not userName eq "x"',
    ];
    for (const c of cases) {
      const e = refusal(c);
      expect(e.status, c).toBe(400);
      expect(e.scimType, c).toBe('invalidFilter');
      expect(e.message, c).toMatch(/^filter: /);
    }
    expect(refusal('nosuch eq "x"').message).toContain("'nosuch' is not an attribute of User");
    expect(refusal('userName eq').message).toContain('at the end');
    // Group attributes are a Group's own.
    expect(refusal('userName eq "x"', GROUP_KIND).message).toContain('Group');
    expect(compileFilter(GROUP_KIND, parseFilter('displayName eq "academic_staff@physics" and members[value eq "bjensen"]'))).toBeTypeOf('function');
  });

  it('property: printing a filter and parsing it again gives the same tree', () => {
    const paths = ['userName', 'name.givenName', 'emails.value', 'externalId', 'id', `${URN.enterprise}:department`];
    const leaf: fc.Arbitrary<Filter> = fc.oneof(
      fc.record({ kind: fc.constant('pr' as const), path: fc.constantFrom(...paths).map(toPath) }),
      fc.record({
        kind: fc.constant('cmp' as const),
        op: fc.constantFrom(...COMPARE_OPS),
        path: fc.constantFrom(...paths).map(toPath),
        value: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.integer()),
      }),
      fc.record({
        kind: fc.constant('valuePath' as const),
        path: fc.constant(toPath('emails')),
        filter: fc.record({ kind: fc.constant('cmp' as const), op: fc.constantFrom(...COMPARE_OPS), path: fc.constantFrom('type', 'value').map(toPath), value: fc.string() }),
      }),
    );
    const tree = fc.letrec<{ f: Filter }>((tie) => ({
      f: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('f'), right: tie('f') }),
        fc.record({ kind: fc.constant('not' as const), filter: tie('f') }),
      ),
    })).f;
    fc.assert(
      fc.property(tree, (f) => {
        expect(parseFilter(printFilter(f))).toEqual(f);
      }),
      { numRuns: 300 },
    );
  });

  it('property: any text either parses or is refused with invalidFilter, never anything else', () => {
    const pieces = fc.constantFrom('userName', 'emails', '[', ']', '(', ')', ' ', 'eq', 'and', 'or', 'not', 'pr', '"x"', '"', '\\', '.', 'name.givenName', '12', 'true', 'null', 'gt', ':', 'urn:x');
    const text = fc.oneof(fc.string(), fc.array(pieces, { maxLength: 12 }).map((a) => a.join(' ')), fc.array(pieces, { maxLength: 12 }).map((a) => a.join('')));
    fc.assert(
      fc.property(text, (t) => {
        try {
          const match = compileFilter(USER_KIND, parseFilter(t));
          expect(typeof match(user())).toBe('boolean');
        } catch (e) {
          expect(e).toBeInstanceOf(ScimError);
          expect((e as ScimError).scimType).toBe('invalidFilter');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses filters nested without end instead of overflowing the stack', () => {
    const deep = '('.repeat(5000) + 'userName pr' + ')'.repeat(5000);
    expect(refusal(deep).scimType).toBe('invalidFilter');
    expect(refusal('not ('.repeat(100) + 'userName pr' + ')'.repeat(100)).scimType).toBe('invalidFilter');
  });
});

function toPath(p: string) {
  if (p.startsWith('urn:')) {
    const i = p.lastIndexOf(':');
    return { urn: p.slice(0, i), attr: p.slice(i + 1) };
  }
  const [attr, sub] = p.split('.');
  return sub === undefined ? { attr: attr! } : { attr: attr!, sub };
}
