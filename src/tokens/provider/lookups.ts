import type { Db } from '../../db/database.js'
import type { Tenant } from '../../tenants/tenants.js'
import { accessTokenClaims, claimsForScopes, mayUseAppOf } from '../accounts.js'
import { getApp } from '../apps.js'
import { type Account, apiAudience } from './access-tokens.js'
import type { ProviderCallbacks } from './configuration.js'
import { firstPartyGrant } from './grants.js'

/**
 * The amr of the sign-in an access token comes from: the code it was exchanged for, or the
 * refresh token (which carries the code's). The ID token gets the same from the provider.
 */
function signInAmr(ctx: Parameters<ProviderCallbacks['extraTokenClaims']>[0] | undefined) {
  const entities = ctx?.oidc?.entities
  const amr = (entities?.AuthorizationCode ?? entities?.RefreshToken)?.amr
  return Array.isArray(amr) && amr.every((v) => typeof v === 'string') ? amr : undefined
}

/**
 * The provider's questions about accounts, grants and tokens, answered from the database;
 * `accounts` reads a person's account (accountClaims, or a cache of it: registry.ts).
 */
export function providerLookups(
  db: Db,
  tenant: Tenant,
  accounts: (userId: string) => Promise<Account | undefined>,
): Omit<ProviderCallbacks, 'recordAccessToken' | 'invalidTarget'> {
  const audience = apiAudience(tenant)
  const appOf = (clientId: string) => () =>
    getApp(db, tenant.id, clientId).catch(() => ({ product: null }))
  // A grant asks for the account twice (findAccount, then extraTokenClaims): one read per request.
  const perRequest = new WeakMap<object, Map<string, ReturnType<typeof accounts>>>()
  const accountOf = (ctx: object | undefined, sub: string) => {
    if (!ctx) return accounts(sub)
    const known = perRequest.get(ctx) ?? new Map<string, ReturnType<typeof accounts>>()
    perRequest.set(ctx, known)
    const found = known.get(sub) ?? accounts(sub)
    known.set(sub, found)
    return found
  }

  return {
    async findAccount(ctx, sub) {
      const found = await accountOf(ctx, sub)
      if (!found) return undefined
      const client = ctx.oidc.client
      if (client && !(await mayUseAppOf(found.membership, appOf(client.clientId)))) return undefined
      return {
        accountId: sub,
        claims: (_use, scope) => claimsForScopes(found.claims, (scope ?? '').split(' ')),
      }
    },

    // Every app is the tenant's own (first party): what it asks within our scopes is granted.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx
      if (!oidc.client || !oidc.session?.accountId) return undefined
      const grantId =
        (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ??
        oidc.session.grantIdFor(oidc.client.clientId)
      return firstPartyGrant(oidc.provider, {
        accountId: oidc.session.accountId,
        clientId: oidc.client.clientId,
        scope: [...(oidc.requestParamScopes ?? [])].join(' '),
        audience,
        grantId,
      })
    },

    async extraTokenClaims(ctx, token) {
      if (!('accountId' in token) || !token.accountId) return { tenant: tenant.slug }
      const found = await accountOf(ctx, token.accountId)
      return found ? accessTokenClaims(found.claims, signInAmr(ctx)) : { tenant: tenant.slug }
    },

    async introspectionAllowed(ctx, client, token) {
      // An app may introspect its own tokens; a confidential app (an API's back end) also the
      // access tokens of the tenant's other apps, never their refresh tokens.
      const own = token.clientId === client.clientId
      const accessToken = token.kind === 'AccessToken' || token.kind === 'ClientCredentials'
      if (!own && (client.clientAuthMethod === 'none' || !accessToken)) return false
      if (!('accountId' in token) || !token.accountId) return true
      return (await accountOf(ctx, token.accountId)) !== undefined
    },
  }
}
