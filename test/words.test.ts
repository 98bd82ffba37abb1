/** Error bodies in words (src/api/words.ts): labels for keys, no codes, one sentence. */
import { describe, expect, it } from 'vitest';
import { fieldLabel, inWords } from '../src/api/words.js';

describe('errors in words', () => {
  it('puts the field label in place of its key', () => {
    expect(inWords({ field: 'firstName', message: 'firstName: is required' })).toBe('First name is required.');
    expect(inWords({ field: 'email', message: 'email: must match format "email"' })).toBe('Email must be an email address.');
    expect(inWords({ field: 'seats', message: 'seats: must be >= 0' })).toBe('Seats must be at least 0.');
    expect(inWords({ field: 'id', message: 'id: must NOT have fewer than 1 characters' })).toBe('Id must not be empty.');
  });

  it('labels nested fields with where they are', () => {
    expect(fieldLabel('roles.0.unit')).toBe('Unit (roles, item 1)');
    expect(fieldLabel('personalCaptureLicensing')).toBe('Personal capture licensing');
    expect(fieldLabel('identityProvider')).toBe('Identity provider');
  });

  it('leaves a sentence that names no field as it is (ids keep their case), ended', () => {
    expect(inWords({ message: "unit 'x' does not exist" })).toBe("unit 'x' does not exist.");
    expect(inWords({ field: 'user', message: 'mara is the last manager of collection c' })).toBe('mara is the last manager of collection c.');
    expect(inWords({ message: 'Already a sentence (with a note)' })).toBe('Already a sentence (with a note)');
  });
});
