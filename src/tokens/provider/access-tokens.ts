import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose'
import type { Db } from '../../db/database.js'
import type { Tenant } from '../../tenants/tenants.js'
import { type AccountClaims, accountClaims } from '../accounts.js'
import type { artefactAdapter } from '../artefacts.store.js'
import type { SigningKey } from '../keys.js'

// Only asymmetric algorithms: a token signed "none" or HS256 with our public key as the secret
// is refused before its claims are read.
export const TOKEN_ALGORITHMS = ['RS256', 'ES256']

/** The resource every access token of a tenant is issued for: its `aud`. */
export const apiAudience = (tenant: Pick<Tenant, 'publicUrl'>) => `${tenant.publicUrl}/api`

/**
 * The scope that lets a machine app's client-credentials token call the admin API on its own
 * tenant; only a machine app registered for it (`adminApi`) may ask for it.
 */
export const ADMIN_SCOPE = 'gateway:admin'

export type ArtefactAdapter = ReturnType<typeof artefactAdapter>

export type LiveAccessToken = JWTPayload & {
  client_id: string
  scope?: string
  tenant?: string
  email?: string
  roles?: string[]
  amr?: string[]
}

/** A person's account at the tenant, as tokens see it (accountClaims). */
export type Account = NonNullable<Awaited<ReturnType<typeof accountClaims>>>

/** A live access token: a person's carries their current claims, a machine app's none. */
export type VerifiedAccessToken = { token: LiveAccessToken; account?: AccountClaims }

/** The oidc-provider token model whose JWT is being formatted (non-public: see the pins test). */
type TokenModel = { kind: string; constructor: unknown }

/**
 * JWT access tokens are not stored by the provider; we keep a record of each, so that
 * introspection, revocation and a disabled membership can end it before it expires. The record
 * holds what the provider would have stored for an opaque token (its model's IN_PAYLOAD fields),
 * under the JWT's jti.
 */
export function recordAccessToken(Adapter: ArtefactAdapter) {
  return async (_ctx: unknown, token: TokenModel, jwt: { payload: Record<string, unknown> }) => {
    const payload: Record<string, unknown> = { iat: jwt.payload['iat'], exp: jwt.payload['exp'] }
    for (const key of (token.constructor as { IN_PAYLOAD: string[] }).IN_PAYLOAD) {
      const value = (token as unknown as Record<string, unknown>)[key]
      if (value !== undefined) payload[key] = value
    }
    const lifetime = Number(jwt.payload['exp']) - Math.floor(Date.now() / 1000)
    await new Adapter(token.kind).upsert(String(jwt.payload['jti']), payload, Math.max(1, lifetime))
  }
}

/** The checks every use of a tenant's access token goes through (userinfo, forward auth). */
export function accessTokenChecks(input: {
  db: Db
  tenant: Tenant
  keys: SigningKey[]
  Adapter: ArtefactAdapter
  /** The account behind a person's token (accountClaims, or a cache of it: registry.ts). */
  accountOf?: (userId: string) => Promise<Account | undefined>
}) {
  const { db, tenant, Adapter } = input
  const accountOf = input.accountOf ?? ((userId: string) => accountClaims(db, tenant, userId))
  const audience = apiAudience(tenant)
  const jwks = createLocalJWKSet({ keys: input.keys.map((k) => k.publicJwk) })

  /** Signature, type, issuer and algorithm of an access token of this tenant. */
  async function verifySignature(token: string) {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: tenant.publicUrl,
        typ: 'at+jwt',
        algorithms: TOKEN_ALGORITHMS,
      })
      return payload
    } catch {
      return undefined
    }
  }

  return {
    /** The id of the record kept for a signed access token of this tenant, if the signature holds. */
    recordIdOf: async (token: string) => (await verifySignature(token))?.jti,

    /** Still live: not revoked, the user still a member; with the user's current claims. */
    async verifyAccessToken(token: string): Promise<VerifiedAccessToken | undefined> {
      const payload = await verifySignature(token)
      if (!payload?.jti || payload.aud !== audience) return undefined
      const live = payload as LiveAccessToken
      const person = live.sub !== undefined && live.sub !== live.client_id
      // Revoked: the record is gone, or the grant it came from was (a replayed code or refresh).
      if (!(await new Adapter(person ? 'AccessToken' : 'ClientCredentials').findGranted(live.jti!)))
        return undefined
      if (!person) return { token: live }
      const found = await accountOf(live.sub!)
      return found && { token: live, account: found.claims }
    },
  }
}
