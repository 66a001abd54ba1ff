import { hkdfSync } from 'node:crypto'
import type { Configuration, interactionPolicy } from 'oidc-provider'
import { SESSION_TTL_MS } from '../../identity/sessions.js'
import { durationSeconds } from '../../lib/duration.js'
import type { Tenant } from '../../tenants/tenants.js'
import { SCOPE_CLAIMS } from '../accounts.js'
import type { SigningKey } from '../keys.js'
import {
  ADMIN_SCOPE,
  apiAudience,
  type ArtefactAdapter,
  TOKEN_ALGORITHMS,
} from './access-tokens.js'
import { providerPages } from './provider.pages.js'

const AUTHORIZATION_CODE_TTL_S = 60
const INTERACTION_TTL_S = 3600
// A grant is the family of a login's refresh tokens: it ends a year after the login.
const GRANT_TTL_S = 365 * 86_400

type Features = NonNullable<Configuration['features']>
type Introspection = NonNullable<Features['introspection']>
type Customizers = NonNullable<NonNullable<Configuration['formats']>['customizers']>

/** What the provider asks of the gateway at run time (the database behind them). */
export type ProviderCallbacks = Required<
  Pick<Configuration, 'findAccount' | 'loadExistingGrant' | 'extraTokenClaims'>
> & {
  introspectionAllowed: NonNullable<Introspection['allowedPolicy']>
  recordAccessToken: NonNullable<Customizers['jwt']>
  /** oidc-provider's InvalidTarget error (its module is loaded late, registry.ts). */
  invalidTarget: () => Error
}

/**
 * A tenant's oidc-provider configuration: a function of the tenant, its keys and the callbacks,
 * no I/O. `keys[0]` is the active key: it signs (publishedKeys orders active first), and the
 * provider signs with the first key of an algorithm.
 */
export function providerConfiguration(input: {
  tenant: Tenant
  keys: SigningKey[]
  secretKey: string
  adapter: ArtefactAdapter
  policy: interactionPolicy.DefaultPolicy
  callbacks: ProviderCallbacks
}): Configuration {
  const { tenant, keys, callbacks } = input
  const active = keys[0]!
  const audience = apiAudience(tenant)
  const ttl = tenant.settings.tokens
  const accessTtl = durationSeconds(ttl.accessTokenTtl)
  const pages = providerPages(tenant)
  // One cookie key per tenant, derived: a cookie signed for one tenant is refused at another.
  const cookieKey = hkdfSync('sha256', input.secretKey, tenant.id, 'gateway/oidc-cookies', 32)

  return {
    adapter: input.adapter,
    jwks: { keys: keys.map((k) => k.privateJwk) as never },
    cookies: { keys: [Buffer.from(cookieKey).toString('base64url')] },
    claims: SCOPE_CLAIMS as unknown as Configuration['claims'],
    scopes: ['openid', 'profile', 'email', 'offline_access', ADMIN_SCOPE],
    responseTypes: ['code'],
    pkce: { required: () => true },
    // Off: every authorization request names its redirect_uri, matched exactly (RFC 9700 2.1).
    allowOmittingSingleRegisteredRedirectUri: false,
    // Off: ID tokens carry the claims their scopes release, as userinfo does (apps read roles
    // from the ID token without a second request); the access token is what APIs check.
    conformIdTokenClaims: false,
    clientDefaults: {
      id_token_signed_response_alg: active.alg,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: TOKEN_ALGORITHMS as never,
      userinfoSigningAlgValues: TOKEN_ALGORITHMS as never,
      introspectionSigningAlgValues: TOKEN_ALGORITHMS as never,
      authorizationSigningAlgValues: TOKEN_ALGORITHMS as never,
      requestObjectSigningAlgValues: TOKEN_ALGORITHMS as never,
      clientAuthSigningAlgValues: TOKEN_ALGORITHMS as never,
    },
    ttl: {
      AccessToken: accessTtl,
      ClientCredentials: accessTtl,
      IdToken: durationSeconds(ttl.idTokenTtl),
      // Rotated on every use: each new refresh token lives this long again (sliding).
      RefreshToken: durationSeconds(ttl.refreshTokenTtl),
      AuthorizationCode: AUTHORIZATION_CODE_TTL_S,
      Interaction: INTERACTION_TTL_S,
      Session: SESSION_TTL_MS / 1000,
      Grant: GRANT_TTL_S,
    },
    rotateRefreshToken: true,
    interactions: { policy: input.policy, url: (_ctx, i) => `/interaction/${i.uid}` },
    findAccount: callbacks.findAccount,
    loadExistingGrant: callbacks.loadExistingGrant,
    extraTokenClaims: callbacks.extraTokenClaims,
    formats: { customizers: { jwt: callbacks.recordAccessToken } },
    features: {
      // Off: our login, activation and Terms pages are the interaction (never the demo pages).
      devInteractions: { enabled: false },
      // Off: nothing that accepts our tokens checks a DPoP proof (a bound token would pass as a
      // plain bearer token).
      dPoP: { enabled: false },
      // Off: pushed requests are not routed (tokens.routes.ts names the provider's paths).
      pushedAuthorizationRequests: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: callbacks.introspectionAllowed },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: pages.logoutSource,
        postLogoutSuccessSource: pages.postLogoutSuccessSource,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, indicator) {
          if (indicator !== audience) throw callbacks.invalidTarget()
          return {
            scope: `openid profile email ${ADMIN_SCOPE}`,
            audience,
            accessTokenTTL: accessTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: active.alg } },
          }
        },
      },
    },
    renderError: pages.renderError,
  }
}
