import { hkdfSync } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose'
import type { Configuration, default as Provider } from 'oidc-provider'
import type { Db } from '../db/database.js'
import { SESSION_TTL_MS } from '../identity/sessions.js'
import { messagePage } from '../identity/home.pages.js'
import { page } from '../http/layout.js'
import { Html, html } from '../lib/html.js'
import { t } from '../lib/i18n.js'
import { durationSeconds } from '../lib/duration.js'
import { hashToken, safeEqual } from '../lib/tokens.js'
import type { Tenant } from '../tenants/tenants.js'
import {
  type AccountClaims,
  accessTokenClaims,
  accountClaims,
  claimsForScopes,
  mayUseApp,
  SCOPE_CLAIMS,
} from './accounts.js'
import { getApp } from './apps.js'
import { artefactAdapter } from './artefacts.store.js'
import { publishedKeys, type SigningKey } from './keys.js'

// Only asymmetric algorithms: a token signed "none" or HS256 with our public key as the secret
// is refused before its claims are read.
export const TOKEN_ALGORITHMS = ['RS256', 'ES256']
const AUTHORIZATION_CODE_TTL_S = 60
const INTERACTION_TTL_S = 3600
// A grant is the family of a login's refresh tokens: it ends a year after the login.
const GRANT_TTL_S = 365 * 86_400

/** The resource every access token of a tenant is issued for: its `aud`. */
export const apiAudience = (tenant: Pick<Tenant, 'publicUrl'>) => `${tenant.publicUrl}/api`

export type TenantProvider = {
  provider: Provider
  /** The provider as a Node request handler. */
  handle: ReturnType<Provider['callback']>
  keys: SigningKey[]
  audience: string
  /** The id of the record kept for a signed access token of this tenant, if the signature holds. */
  recordIdOf: (token: string) => Promise<string | undefined>
  /**
   * A signed access token of this tenant, still live (not revoked, user still a member), with
   * the user's current claims (none for a machine app's token).
   */
  verifyAccessToken: (
    token: string,
  ) => Promise<{ token: LiveAccessToken; account?: AccountClaims } | undefined>
}
export type LiveAccessToken = JWTPayload & {
  client_id: string
  scope?: string
  tenant?: string
  email?: string
  roles?: string[]
}

// The Node response oidc-provider sees is Express's: loadSession put the gateway session on it.
type GatewayResponse = { locals?: { session?: { pending: string | null; user_id: string } } }

type Options = {
  db: Db
  secretKey: string
  trustProxy: boolean
  /** Ends the gateway session of the browser (the request and response are Express's). */
  endGatewaySession: (req: IncomingMessage, res: ServerResponse) => Promise<void>
}

/**
 * One oidc-provider per tenant, created on first use and cached until the tenant changes (its
 * settings, its keys): every process rebuilds within the tenant cache's second. Ten minutes at
 * most also drop retired keys whose tokens have all expired.
 */
export function providerRegistry(options: Options) {
  const cache = new Map<string, { stamp: string; entry: Promise<TenantProvider> }>()
  return {
    forTenant(tenant: Tenant): Promise<TenantProvider> {
      const stamp = `${tenant.updatedAt.getTime()}:${Math.floor(Date.now() / 600_000)}`
      const cached = cache.get(tenant.id)
      if (cached?.stamp === stamp) return cached.entry
      const entry = buildProvider(tenant, options)
      cache.set(tenant.id, { stamp, entry })
      entry.catch(() => cache.delete(tenant.id))
      return entry
    },
  }
}

async function buildProvider(
  tenant: Tenant,
  { db, secretKey, trustProxy, endGatewaySession }: Options,
) {
  const keys = await publishedKeys(db, tenant, secretKey)
  const active = keys[0]!
  const audience = apiAudience(tenant)
  const issuer = tenant.publicUrl
  // The provider's own pages (logout, errors) speak the store's language.
  const locale = tenant.settings.defaultLocale
  const ttl = tenant.settings.tokens
  const accessTtl = durationSeconds(ttl.accessTokenTtl)
  const jwks = createLocalJWKSet({ keys: keys.map((k) => k.publicJwk) })

  /** Signature, type, issuer and algorithm of an access token of this tenant; its jti. */
  async function verifySignature(token: string) {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer,
        typ: 'at+jwt',
        algorithms: TOKEN_ALGORITHMS,
      })
      return payload
    } catch {
      return undefined
    }
  }

  // Loaded on first use: on Node 20 the module warns when imported, which commands other than
  // `serve` (and a misconfigured start) should not print.
  const { default: OidcProvider, errors, interactionPolicy } = await import('oidc-provider')
  const Adapter = artefactAdapter({
    db,
    tenantId: tenant.id,
    replayed: () => new errors.InvalidGrant('grant already used'),
  })
  const policy = interactionPolicy.base()
  // Single sign-on follows the gateway's own session: signing out of the store (or its
  // expiry) ends it for every app, and another person's session never continues this one.
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('gateway_session', 'the gateway session ended', (ctx) => {
      if (ctx.oidc.result?.login || !ctx.oidc.session?.accountId) return false
      const session = (ctx.res as unknown as GatewayResponse).locals?.session
      return !session || session.pending !== null || session.user_id !== ctx.oidc.session.accountId
    }),
  )

  const configuration: Configuration = {
    adapter: Adapter,
    jwks: { keys: keys.map((k) => k.privateJwk) as never },
    cookies: {
      keys: [
        Buffer.from(hkdfSync('sha256', secretKey, tenant.id, 'gateway/oidc-cookies', 32)).toString(
          'base64url',
        ),
      ],
    },
    claims: SCOPE_CLAIMS as unknown as Configuration['claims'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
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
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const found = await accountClaims(db, tenant, sub)
      if (!found) return undefined
      const client = ctx.oidc.client
      if (client && !mayUseApp(found.membership, await appOf(client.clientId))) return undefined
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
    async extraTokenClaims(_ctx, token) {
      if (!('accountId' in token) || !token.accountId) return { tenant: tenant.slug }
      const found = await accountClaims(db, tenant, token.accountId)
      return found ? accessTokenClaims(found.claims) : { tenant: tenant.slug }
    },
    formats: {
      customizers: {
        // JWT access tokens are not stored by the provider; we keep a record of each, so that
        // introspection, revocation and a disabled membership can end it before it expires
        // (tokens.routes.ts hands the provider the record's id in place of the JWT).
        async jwt(_ctx, token, jwt) {
          const payload: Record<string, unknown> = { iat: jwt.payload.iat, exp: jwt.payload.exp }
          for (const key of (token.constructor as unknown as { IN_PAYLOAD: string[] }).IN_PAYLOAD) {
            const value = (token as unknown as Record<string, unknown>)[key]
            if (value !== undefined) payload[key] = value
          }
          const lifetime = Number(jwt.payload.exp) - Math.floor(Date.now() / 1000)
          await new Adapter(token.kind).upsert(
            String(jwt.payload.jti),
            payload,
            Math.max(1, lifetime),
          )
        },
      },
    },
    features: {
      devInteractions: { enabled: false },
      // Not offered: nothing that accepts our tokens checks a DPoP proof (a bound token would
      // pass as a plain bearer token), and pushed requests are not routed.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        async allowedPolicy(_ctx, client, token) {
          // An app may introspect its own tokens; a confidential app (an API's back end) also
          // the access tokens of the tenant's other apps, never their refresh tokens.
          const own = token.clientId === client.clientId
          const accessToken = token.kind === 'AccessToken' || token.kind === 'ClientCredentials'
          if (!own && (client.clientAuthMethod === 'none' || !accessToken)) return false
          if (!('accountId' in token) || !token.accountId) return true
          return (await accountClaims(db, tenant, token.accountId)) !== undefined
        },
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The provider's form (its own CSRF field) with our page around it.
        logoutSource: (ctx, form) => {
          const title = t(locale, 'signOutOf', { tenant: tenant.name })
          ctx.type = 'html'
          ctx.body = String(
            page({
              title,
              tenantName: tenant.name,
              lang: locale,
              body: html`<h1>${title}</h1>
                ${new Html(form)}
                <p class="actions">
                  <button form="op.logoutForm" name="logout" value="yes" autofocus>
                    ${t(locale, 'signOut')}
                  </button>
                  <button form="op.logoutForm" class="secondary">${t(locale, 'staySignedIn')}</button>
                </p>`,
            }),
          )
        },
        // Signed out without a registered place to go back to.
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html'
          ctx.body = String(
            messagePage({
              tenantName: tenant.name,
              locale,
              title: t(locale, 'signedOut'),
              message: '',
            }),
          )
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, indicator) {
          if (indicator !== audience) throw new errors.InvalidTarget()
          return {
            scope: 'openid profile email',
            audience,
            accessTokenTTL: accessTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: active.alg } },
          }
        },
      },
    },
    renderError(ctx, out) {
      ctx.type = 'html'
      ctx.body = String(
        messagePage({
          tenantName: tenant.name,
          locale,
          title: t(locale, 'signInClosed'),
          message: String(out.error_description ?? out.error ?? ''),
        }),
      )
    },
  }

  const appOf = (clientId: string) =>
    getApp(db, tenant.id, clientId).catch(() => ({ product: null }))

  const provider = new OidcProvider(issuer, configuration)
  provider.proxy = trustProxy
  // Signing out at the provider signs out of the gateway too: once the provider has accepted
  // the confirmation (its CSRF value), and only for the person it signed out. When someone else
  // has just signed in (the provider ends the previous person's session), theirs stays.
  provider.use(async (ctx, next) => {
    await next()
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status >= 400) return
    if (!ctx.oidc.params?.['logout']) return
    const gateway = (ctx.res as unknown as GatewayResponse).locals?.session
    if (gateway && gateway.user_id === ctx.oidc.session?.accountId)
      await endGatewaySession(ctx.req, ctx.res)
  })
  // Secrets are stored as their SHA-256 (apps.ts); compare digests in constant time.
  provider.Client.prototype.compareClientSecret = function (
    this: { clientSecret?: string },
    actual: string,
  ) {
    const presented = Buffer.from(hashToken(actual)).toString('base64url')
    return Promise.resolve(
      this.clientSecret !== undefined && safeEqual(presented, this.clientSecret),
    )
  } as never

  async function verifyAccessToken(token: string) {
    const payload = await verifySignature(token)
    if (!payload?.jti || payload.aud !== audience) return undefined
    const live = payload as LiveAccessToken
    const person = live.sub !== undefined && live.sub !== live.client_id
    // Revoked: the record is gone, or the grant it came from was (a replayed code or refresh).
    if (!(await new Adapter(person ? 'AccessToken' : 'ClientCredentials').findGranted(live.jti!)))
      return undefined
    if (!person) return { token: live }
    const found = await accountClaims(db, tenant, live.sub!)
    return found && { token: live, account: found.claims }
  }

  return {
    provider,
    handle: provider.callback(),
    keys,
    audience,
    recordIdOf: async (token: string) => (await verifySignature(token))?.jti,
    verifyAccessToken,
  } satisfies TenantProvider
}

/**
 * Every app is the tenant's own (first party): what it asks within our scopes is granted, with
 * no consent screen. Tops up the grant a session already holds for the app.
 */
export async function firstPartyGrant(
  provider: Provider,
  input: {
    accountId: string
    clientId: string
    scope: string
    audience: string
    grantId?: string | undefined
  },
) {
  const existing = input.grantId ? await provider.Grant.find(input.grantId) : undefined
  const grant =
    existing ?? new provider.Grant({ clientId: input.clientId, accountId: input.accountId })
  grant.addOIDCScope(input.scope)
  grant.addResourceScope(input.audience, input.scope)
  await grant.save()
  return grant
}
