// The OpenID Connect relying party of each directory (with oidc-discovery.ts, the only modules
// that load openid-client: test/unit/architecture.test.ts). openid-client does the protocol (state, nonce, PKCE, issuer,
// audience, times, RFC 9207 `iss`); this file configures it strictly and adds what its defaults
// leave out (SECURITY-NOTES.md): the ID token's signature checked against the IdP's keys, one
// asymmetric algorithm, the browser that started the sign-in, Entra tenants allowed by name.
import { createHash, timingSafeEqual } from 'node:crypto'
import * as client from 'openid-client'
import * as z from 'zod'
import { AppError } from '../errors.js'
import { open, seal } from '../lib/seal.js'
import type { Tenant } from '../tenants/tenants.js'
import {
  oidcRedirectUri,
  type OidcDirectory,
  type SsoContext,
  type SsoStart,
} from './connection.js'
import { configurationOf } from './oidc-discovery.js'
import { lacksMappedClaims, oidcProfile } from './oidc-profile.js'
import type { IdpProfile } from './provisioning.js'
import { consumeSsoRequest, saveSsoRequest } from './requests.store.js'

export { checkOidcDirectory } from './oidc-check.js'

const REQUEST_TTL_MS = 10 * 60_000
const VERIFIER_PURPOSE = 'oidc-code-verifier'

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url')

/** What the gateway keeps of a sign-in at the IdP, under the SHA-256 of its `state`. */
const RequestData = z.object({
  returnTo: z.string(),
  invitationId: z.string().optional(),
  nonce: z.string(),
  /** Sealed with SECRET_KEY: a database reader alone cannot redeem an intercepted code. */
  codeVerifier: z.string(),
  redirectUri: z.string(),
  host: z.string(),
  /** SHA-256 of the browser's binding value (http/sso-browser.ts). */
  browser: z.string(),
})

/** The IdP's authorization URL (code + PKCE + state + nonce) that starts this sign-in. */
export async function beginOidcSignIn(
  ctx: SsoContext,
  input: {
    tenant: Tenant
    directory: OidcDirectory
    host: string
    start: SsoStart
    browser: string
  },
): Promise<string> {
  const { tenant, directory, host, start } = input
  const config = await configurationOf(ctx, directory).catch((err: unknown) => {
    throw new AppError(
      'unavailable',
      'Your company’s sign-in service cannot be reached. Please try again later.',
      { cause: err },
    )
  })
  const state = client.randomState()
  const nonce = client.randomNonce()
  const verifier = client.randomPKCECodeVerifier()
  const redirectUri = oidcRedirectUri(tenant, directory, host)
  const data: z.input<typeof RequestData> = {
    returnTo: start.returnTo,
    ...(start.invitationId && { invitationId: start.invitationId }),
    nonce,
    codeVerifier: Buffer.from(seal(ctx.secretKey, VERIFIER_PURPOSE, verifier)).toString('base64'),
    redirectUri,
    host,
    browser: sha256(input.browser),
  }
  await saveSsoRequest(ctx.db, {
    id: sha256(state),
    tenantId: tenant.id,
    directoryId: directory.id,
    data,
    expiresAt: new Date(Date.now() + REQUEST_TTL_MS),
  })
  const scope = [...new Set(['openid', ...directory.config.scopes])].join(' ')
  return client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...(start.fresh && { prompt: 'login' }),
  }).href
}

export type OidcOutcome =
  | { ok: true; profile: IdpProfile; start: SsoStart }
  | { ok: false; reason: string; detail?: string; status?: number }

type Refused = Extract<OidcOutcome, { ok: false }>

const refused = (reason: string, detail?: string, status?: number): Refused => ({
  ok: false,
  reason,
  ...(detail && { detail: detail.slice(0, 500) }),
  ...(status && { status }),
})

/** What openid-client refused, for the log (never shown to the person). */
function refusalOf(err: unknown): Refused {
  if (err instanceof client.AuthorizationResponseError)
    return refused('idp_error', `${err.error}: ${err.error_description ?? ''}`)
  if (err instanceof client.ResponseBodyError)
    return refused('token_error', `${err.error}: ${err.error_description ?? ''}`)
  const e = err as { code?: unknown; message?: unknown; cause?: { message?: unknown } }
  const said = [e.code, e.message, e.cause?.message].filter((v) => typeof v === 'string')
  return refused('response_refused', [...new Set(said)].join(': '))
}

const sameHash = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/**
 * The IdP's answer at the redirect URI, checked: the sign-in this browser started here (state,
 * single use), the code redeemed with its PKCE verifier, the ID token verified (signature by
 * the pinned algorithm, issuer, audience, nonce, times), then the person it names.
 */
export async function finishOidcSignIn(
  ctx: SsoContext,
  input: {
    tenant: Tenant
    directory: OidcDirectory
    search: string
    browser: string | undefined
  },
): Promise<OidcOutcome> {
  const { tenant, directory } = input
  const params = new URLSearchParams(input.search)
  const state = params.get('state')
  if (!state)
    return refused(
      params.has('error') ? 'idp_error' : 'missing_state',
      params.get('error') ?? undefined,
    )
  const ids = { id: sha256(state), tenantId: tenant.id, directoryId: directory.id }
  const stored = RequestData.safeParse(await consumeSsoRequest(ctx.db, ids))
  // Unknown, expired, already used, or begun for another directory or tenant: all the same.
  if (!stored.success) return refused('unknown_state')
  const request = stored.data
  // The binding cookie is host-only: a callback on another host of the tenant fails here too.
  if (!input.browser || !sameHash(sha256(input.browser), request.browser))
    return refused(
      'browser_mismatch',
      'the callback came to a browser that did not start this sign-in',
    )

  let config: client.Configuration
  try {
    config = await configurationOf(ctx, directory)
  } catch (err) {
    return { ...refusalOf(err), reason: 'idp_unreachable', status: 502 }
  }
  const currentUrl = new URL(request.redirectUri)
  currentUrl.search = params.toString()
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>
  try {
    tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: open(
        ctx.secretKey,
        VERIFIER_PURPOSE,
        Buffer.from(request.codeVerifier, 'base64'),
      ),
      expectedState: state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    })
  } catch (err) {
    return refusalOf(err)
  }
  const claims = tokens.claims()!

  // Entra multi-tenant: openid-client checked `iss` against the issuer of the token's own `tid`;
  // any Entra tenant can make such a token, so only the tenants the admin named are let in.
  const templated = config.serverMetadata().issuer.includes('{tenantid}')
  const { allowedTenantIds, claimMapping } = directory.config
  const tid = typeof claims.tid === 'string' ? claims.tid : undefined
  if ((templated || allowedTenantIds.length > 0) && !(tid && allowedTenantIds.includes(tid)))
    return refused('tenant_not_allowed', tid ?? 'no tid claim', 403)

  let userinfo: Record<string, unknown> | undefined
  if (lacksMappedClaims(claims, claimMapping) && config.serverMetadata().userinfo_endpoint) {
    try {
      userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
    } catch (err) {
      return { ...refusalOf(err), reason: 'userinfo_refused' }
    }
  }
  const result = oidcProfile({
    idToken: claims,
    userinfo,
    mapping: claimMapping,
    entraTenant: templated ? tid : undefined,
  })
  if (!result.ok) return refused(result.reason, undefined, 403)
  const start = {
    returnTo: request.returnTo,
    ...(request.invitationId && { invitationId: request.invitationId }),
  }
  return { ok: true, profile: result.profile, start }
}
