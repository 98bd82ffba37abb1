/**
 * Lectern's own signing keys for LTI, one set per institution, published as a JWKS. The newest
 * key signs; on rotation the old keys stay published for as long as something they signed could
 * still be presented (client assertions and player tickets live minutes), then they are dropped.
 * Private parts stay in the store: nothing here returns them.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { LtiStore } from '../../store/lti.js';

export const SIGNING_ALG = 'RS256';
/** The longest any token Lectern signs stays valid, plus slack for clock skew. */
export const KEY_OVERLAP_MS = 60 * 60_000;

export interface SigningKey {
  kid: string;
  key: CryptoKey;
}

export class LtiKeys {
  private readonly creating = new Map<string, Promise<SigningKey>>();

  constructor(private readonly store: LtiStore) {}

  /** The key that signs now, created on first use. */
  async signing(institutionId: string): Promise<SigningKey> {
    const [newest] = (await this.store.keys(institutionId)).filter((k) => k.retiredAt === null);
    if (newest) return { kid: newest.kid, key: (await importJWK(JSON.parse(newest.privateJwk) as JWK, SIGNING_ALG)) as CryptoKey };
    let p = this.creating.get(institutionId);
    if (!p) {
      p = this.create(institutionId).finally(() => this.creating.delete(institutionId));
      this.creating.set(institutionId, p);
    }
    return p;
  }

  /** A new signing key; the previous ones are retired but stay published for KEY_OVERLAP_MS. */
  async rotate(institutionId: string, now = new Date()): Promise<{ kid: string }> {
    const k = await this.create(institutionId, now);
    await this.store.retireKeys(institutionId, k.kid, now, new Date(now.getTime() - KEY_OVERLAP_MS));
    return { kid: k.kid };
  }

  /** The public keys, for /lti/<institution>/jwks. */
  async jwks(institutionId: string): Promise<{ keys: JWK[] }> {
    await this.signing(institutionId);
    const cutoff = Date.now() - KEY_OVERLAP_MS;
    const keys = (await this.store.keys(institutionId)).filter((k) => k.retiredAt === null || k.retiredAt.getTime() > cutoff);
    return { keys: keys.map((k) => JSON.parse(k.publicJwk) as JWK) };
  }

  private async create(institutionId: string, now = new Date()): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true, modulusLength: 2048 });
    const kid = randomUUID();
    const pub = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
    const priv = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG };
    await this.store.addKey(institutionId, { kid, publicJwk: JSON.stringify(pub), privateJwk: JSON.stringify(priv), createdAt: now });
    return { kid, key: privateKey };
  }
}
