/**
 * The LTI role rules of policy/lti.ts: full URIs, short names and LTI 1.1 URNs alike; sub-roles
 * standing for their principal role; institution and system roles never placing anyone.
 */
import { describe, expect, it } from 'vitest';
import { canonicalRole, DEFAULT_ROLE_MAPPING, mapRoles } from '../src/policy/lti.js';

const M = 'http://purl.imsglobal.org/vocab/lis/v2/membership';
const I = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person';

describe('LTI roles', () => {
  it('reads short names and URNs as membership URIs', () => {
    expect(canonicalRole('Instructor')).toBe(`${M}#Instructor`);
    expect(canonicalRole('Learner')).toBe(`${M}#Learner`);
    expect(canonicalRole('Instructor#TeachingAssistant')).toBe(`${M}/Instructor#TeachingAssistant`);
    expect(canonicalRole('urn:lti:role:ims/lis/Instructor')).toBe(`${M}#Instructor`);
    expect(canonicalRole('urn:lti:role:ims/lis/Instructor/TeachingAssistant')).toBe(`${M}/Instructor#TeachingAssistant`);
    expect(canonicalRole(`${I}#Faculty`)).toBe(`${I}#Faculty`);
  });

  it('maps by the table, the most rights winning, a sub-role standing for its principal role', () => {
    expect(mapRoles(DEFAULT_ROLE_MAPPING, [`${M}#Learner`, `${M}#Instructor`])).toMatchObject({ role: 'instructor' });
    expect(mapRoles(DEFAULT_ROLE_MAPPING, [`${M}#Instructor`, `${M}/Instructor#TeachingAssistant`])).toMatchObject({ role: 'teaching_assistant' });
    expect(mapRoles(DEFAULT_ROLE_MAPPING, ['ContentDeveloper'])).toMatchObject({ role: 'guest_presenter' });
    // A sub-role the table does not map leaves the principal role in force.
    expect(mapRoles(DEFAULT_ROLE_MAPPING, [`${M}#Instructor`, `${M}/Instructor#Grader`])).toMatchObject({ role: 'instructor' });
    expect(mapRoles({ ...DEFAULT_ROLE_MAPPING, [`${M}#Learner`]: 'none' }, ['Learner'])).toHaveProperty('refusal');
  });

  it('never places anyone by an institution or system role', () => {
    const r = mapRoles(DEFAULT_ROLE_MAPPING, [`${I}#Faculty`, `${I}#Administrator`, 'http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin']);
    expect(r).toEqual({ refusal: expect.stringMatching(/institution and system roles do not place anyone/) });
    expect(mapRoles(DEFAULT_ROLE_MAPPING, [`${I}#Faculty`, `${M}#Learner`])).toMatchObject({ role: 'student' });
    expect(mapRoles(DEFAULT_ROLE_MAPPING, [])).toEqual({ refusal: 'the launch names no role' });
  });
});
