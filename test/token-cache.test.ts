/**
 * Token lookups are reused for a few seconds, but a revocation is final at once in the process that
 * made it — even for a lookup that was already under way when the token was revoked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('token cache (%s)', (driver) => {
  let store: Store;
  let auth: Auth;
  let inst: string;
  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
  });
  afterAll(async () => {
    await store.dropSchemaAndClose();
  });

  it('serves repeated lookups and forgets a revoked token at once, in-flight lookups included', async () => {
    const t = await auth.createToken(inst, 'root', 'svc');
    expect((await auth.fromToken(t.token))?.userId).toBe('root');
    expect((await auth.fromToken(t.token))?.userId).toBe('root');
    // Let the cached answer expire, so the next lookup goes to the store, and revoke meanwhile.
    const realNow = Date.now;
    Date.now = () => realNow() + 10_000;
    try {
      const inFlight = auth.fromToken(t.token);
      expect(await auth.revokeToken(inst, t.id)).toBe(true);
      await inFlight;
      expect(await auth.fromToken(t.token)).toBeUndefined();
    } finally {
      Date.now = realNow;
    }
    expect(await auth.fromToken(t.token)).toBeUndefined();
  });
});
