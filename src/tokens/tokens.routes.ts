import { FRESH_SIGN_IN } from '../http/sso-start.js'
import { randomUUID } from 'node:crypto'
import express, { type Request, type RequestHandler, type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { AppError } from '../errors.js'
import { noStore } from '../http/pages.js'
import { finishSession } from '../http/session-cookie.js'
import { claimsForScopes } from './accounts.js'
import type { Tenant } from '../tenants/tenants.js'
import type { RevocationView } from '../revocation/view.js'
import { decideAbort, decideInteraction, type OpenSignIn } from './interaction.js'
import { firstPartyGrant } from './provider/grants.js'
import { answeredOutage } from './provider/outage.js'
import {
  type InteractionDetails,
  providerRegistry,
  type TenantProvider,
} from './provider/registry.js'

const INTERACTION_GONE =
  'This sign-in is no longer open: it was finished, it expired, or it began in another browser. Go back to the app and sign in again.'

const bearerOf = (req: Request): string | undefined => {
  const match = /^Bearer ([\w.~+/-]+=*)$/.exec(req.get('authorization') ?? '')
  return match?.[1]
}

/** The browser's open sign-in, or a clear page when it is no longer open. */
async function openSignIn(tokens: TenantProvider, req: Request, res: Response) {
  const details = await tokens.openInteraction(req, res)
  if (!details) throw new AppError('invalid_request', INTERACTION_GONE)
  return details
}

const signInOf = (details: InteractionDetails): OpenSignIn => ({
  uid: details.uid,
  iat: details.iat,
  reasons: details.prompt.reasons,
  clientId: String(details.params['client_id']),
  scope: String(details.params['scope'] ?? 'openid'),
  grantId: details.grantId,
})

/**
 * The tenant's OpenID Provider: the provider's own endpoints, our interaction step (our login,
 * activation and Terms pages stand in for its prompts) and userinfo.
 */
export function tokenRoutes(
  { config, db }: Deps,
  /** Keeps apps and accounts per process while they hold (registry.ts); absent in some tests. */
  view?: RevocationView,
): {
  routes: Router
  /** oidc-provider's own endpoints; src/routes.ts names the paths it answers. */
  providerEndpoint: RequestHandler
  /** The tenant's provider (forward auth, tokens/forward-auth.ts, verifies its tokens). */
  providerOf: (tenant: Tenant) => Promise<TenantProvider>
} {
  const registry = providerRegistry({
    db,
    secretKey: config.secretKey,
    endGatewaySession: (req, res) => finishSession(req as Request, res as Response, db),
    view,
  })
  const providerOf = (res: Response) => registry.forTenant(res.locals.tenant)
  const router = Router()

  // The provider sends the browser here when it needs a signed-in user.
  router.get('/interaction/:uid', noStore, async (req, res) => {
    const tokens = await providerOf(res)
    const details = await openSignIn(tokens, req, res)
    const outcome = await decideInteraction(db, {
      tenant: res.locals.tenant,
      signIn: signInOf(details),
      session: res.locals.session,
    })
    if (outcome.kind === 'login') {
      if (outcome.endSession) await finishSession(req, res, db)
      // The way back names the demand for a fresh sign-in, so a company sign-in started on the
      // way asks its IdP for one too (http/sso-start.ts freshSignInAsked).
      const back = `${req.path}${outcome.fresh ? `?${FRESH_SIGN_IN}=1` : ''}`
      return res.redirect(303, `/login?return_to=${encodeURIComponent(back)}`)
    }
    if (outcome.kind === 'deny') {
      const denied = { error: 'access_denied', error_description: outcome.description }
      return tokens.finishInteraction(req, res, denied)
    }
    const grant = await firstPartyGrant(tokens.provider, {
      ...outcome.consent,
      audience: tokens.audience,
    })
    await tokens.finishInteraction(req, res, {
      login: outcome.login,
      consent: { grantId: grant.jti },
    })
  })

  router.get('/interaction/:uid/abort', noStore, async (req, res) => {
    const tokens = await providerOf(res)
    const details = await openSignIn(tokens, req, res)
    const outcome = decideAbort({
      signIn: details,
      uid: String(req.params.uid),
      reason: req.query.reason === 'disabled' ? 'disabled' : 'cancelled',
    })
    if (outcome.kind === 'gone') throw new AppError('invalid_request', INTERACTION_GONE)
    await tokens.finishInteraction(req, res, {
      error: 'access_denied',
      error_description: outcome.description,
    })
  })

  // userinfo: our JWT access tokens are bound to the tenant's API audience, which the
  // provider's own userinfo refuses; the same checks as every other use of the token apply.
  router.all('/me', cors, async (req, res) => {
    if (req.method === 'OPTIONS') return res.sendStatus(204)
    if (!['GET', 'POST'].includes(req.method)) return res.set('Allow', 'GET, POST').sendStatus(405)
    const tokens = await providerOf(res)
    const live = await liveToken(tokens, req)
    const scopes = live?.token.scope?.split(' ') ?? []
    if (!live?.account || !scopes.includes('openid')) {
      return res
        .status(401)
        .set('WWW-Authenticate', 'Bearer error="invalid_token"')
        .json({ error: 'invalid_token', error_description: 'The access token is not valid here.' })
    }
    // How the sign-in behind the token was made, as the ID token says it (amr, RFC 8176).
    const claims = { ...live.account, amr: live.token.amr }
    res.set('Cache-Control', 'no-store').json(claimsForScopes(claims, scopes))
  })

  // The provider refuses JWTs at introspection and revocation: a JWT whose signature holds is
  // replaced by the id of the record kept for it; any other JWT by an id that matches nothing.
  router.post(
    ['/token/introspection', '/token/revocation'],
    express.urlencoded({ extended: false, limit: '16kb' }),
    async (req, res, next) => {
      const body = req.body as { token?: unknown }
      if (typeof body.token === 'string' && body.token.split('.').length === 3) {
        const tokens = await providerOf(res)
        body.token = (await tokens.recordIdOf(body.token)) ?? `unknown-${randomUUID()}`
      }
      next()
    },
  )

  const providerEndpoint: RequestHandler = async (req, res) => {
    try {
      const { handle } = await providerOf(res)
      await handle(req, res, req.ip)
    } catch (err) {
      if (!answeredOutage(err, req, res, res.locals.tenant)) throw err
    }
  }
  return { routes: router, providerEndpoint, providerOf: (tenant) => registry.forTenant(tenant) }
}

async function liveToken(tokens: TenantProvider, req: Request) {
  const form = req.body as { access_token?: unknown } | undefined
  const token =
    bearerOf(req) ?? (typeof form?.access_token === 'string' ? form.access_token : undefined)
  return token ? tokens.verifyAccessToken(token) : undefined
}

// userinfo is called from browsers by single-page apps; a bearer token, no cookie, is the credential.
const cors: RequestHandler = (req, res, next) => {
  res.set({
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Allow-Methods': 'GET, POST',
  })
  next()
}
