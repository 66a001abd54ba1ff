import { generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto'
import type { Db, Tx } from '../db/database.js'
import type { SigningAlg, SigningKeyState } from '../db/schema.js'
import { durationSeconds } from '../lib/duration.js'
import { open, seal } from '../lib/seal.js'
import { markTenantChanged, type Tenant } from '../tenants/tenants.js'
import * as queries from './keys.queries.js'

// Private JWKs are sealed with SECRET_KEY under this purpose: a sealed outbox link cannot be
// opened as a key, nor a key as a link.
const PURPOSE = 'signing-key'
// Tokens are checked with some clock tolerance; a retired key outlives its last token by this.
const RETIREMENT_MARGIN_S = 300

export type SigningKey = {
  kid: string
  alg: SigningAlg
  state: SigningKeyState
  /** The private JWK, opened; only for the provider's keystore. */
  privateJwk: JsonWebKey & { kid: string; alg: string; use: 'sig' }
  publicJwk: JsonWebKey & { kid: string; alg: string; use: 'sig' }
}

function generate(alg: SigningAlg) {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = randomBytes(12).toString('base64url')
  const tag = { kid, alg, use: 'sig' as const }
  return {
    kid,
    privateJwk: { ...pair.privateKey.export({ format: 'jwk' }), ...tag },
    publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), ...tag },
  }
}

async function addKey(
  db: Db,
  secretKey: string,
  tenantId: string,
  alg: SigningAlg,
  state: SigningKeyState,
  now: Date,
) {
  const key = generate(alg)
  await queries.insertKey(db, {
    tenant_id: tenantId,
    kid: key.kid,
    alg,
    state,
    public_jwk: JSON.stringify(key.publicJwk),
    private_sealed: seal(secretKey, PURPOSE, JSON.stringify(key.privateJwk)),
    activated_at: state === 'active' ? now : null,
  })
}

/**
 * Locks the tenant's keys; a tenant without a signing key gets its first two (active, next).
 * The caller opens the transaction (the provider registry on first use, a rotation).
 */
export async function startKeys(tx: Tx, tenant: Tenant, secretKey: string, now = new Date()) {
  const locked = await queries.lockKeys(tx, tenant.id)
  if (locked.some((r) => r.state === 'active')) return
  const alg = tenant.settings.tokens.signingAlg
  await addKey(tx, secretKey, tenant.id, alg, 'active', now)
  await addKey(tx, secretKey, tenant.id, alg, 'next', now)
}

/** Publishable and able to sign: the provider signs with `keys[0]`, the active key. */
export const hasActiveKey = (keys: SigningKey[]) => keys[0]?.state === 'active'

/** The keys the tenant's provider publishes, active first (none before `startKeys`). */
export async function publishedKeys(
  db: Db,
  tenant: Tenant,
  secretKey: string,
  now = new Date(),
): Promise<SigningKey[]> {
  const rows = await queries.findPublishedKeys(db, tenant.id, now)
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    state: row.state,
    privateJwk: JSON.parse(open(secretKey, PURPOSE, row.private_sealed)),
    publicJwk: row.public_jwk as SigningKey['publicJwk'],
  }))
}

/**
 * Whether SECRET_KEY opens the signing keys already stored (it sealed them): a process started
 * with another key would sign nothing and answer 500 on every OpenID endpoint.
 */
export async function checkSecretKey(
  db: Db,
  secretKey: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const sealed = await queries.findNewestSealedKey(db)
  if (!sealed) return { ok: true }
  try {
    open(secretKey, PURPOSE, sealed.private_sealed)
    return { ok: true }
  } catch {
    return {
      ok: false,
      reason:
        'SECRET_KEY does not open the signing keys stored in the database: start with the key they were sealed with',
    }
  }
}

/**
 * The published `next` key starts signing, the signing key retires (still published until every
 * token it signed has expired), and a new `next` key is published before it ever signs. Keys
 * retired long enough leave. Returns the kid that signs from now on.
 */
export async function rotateKeys(
  tx: Tx,
  tenant: Tenant,
  secretKey: string,
  now = new Date(),
): Promise<{ activeKid: string; nextKid: string }> {
  await startKeys(tx, tenant, secretKey, now)
  const { accessTokenTtl, idTokenTtl, signingAlg } = tenant.settings.tokens
  const longest = Math.max(durationSeconds(accessTokenTtl), durationSeconds(idTokenTtl))
  await queries.deleteExpiredKeys(tx, tenant.id, now)
  await queries.retireActive(
    tx,
    tenant.id,
    new Date(now.getTime() + (longest + RETIREMENT_MARGIN_S) * 1000),
  )
  await queries.activateNext(tx, tenant.id, now)
  await addKey(tx, secretKey, tenant.id, signingAlg, 'next', now)
  await markTenantChanged(tx, tenant.id)
  const keys = await queries.findPublishedKeys(tx, tenant.id, now)
  const kidOf = (state: SigningKeyState) => keys.find((k) => k.state === state)?.kid ?? ''
  return { activeKid: kidOf('active'), nextKid: kidOf('next') }
}
