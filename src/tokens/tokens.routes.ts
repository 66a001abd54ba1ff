import { randomUUID } from 'node:crypto'
import express, { type Request, type RequestHandler, type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { AppError } from '../errors.js'
import { noStore } from '../http/pages.js'
import { finishSession } from '../http/session-cookie.js'
import { accountClaims, claimsForScopes, mayUseApp } from './accounts.js'
import { getApp } from './apps.js'
import { firstPartyGrant, providerRegistry, type TenantProvider } from './provider.js'

const INTERACTION_GONE =
  'This sign-in is no longer open: it was finished, it expired, or it began in another browser. Go back to the app and sign in again.'

const DISABLED = 'Access to this store is disabled for this account.'

/** The browser's open sign-in; finished, expired, or begun in another browser: a clear page. */
const openInteraction = (provider: TenantProvider['provider'], req: Request, res: Response) =>
  provider.interactionDetails(req, res).catch((err: unknown) => {
    if ((err as Error)?.name !== 'SessionNotFound') throw err
    throw new AppError('invalid_request', INTERACTION_GONE, { cause: err })
  })

const bearerOf = (req: Request): string | undefined => {
  const match = /^Bearer ([\w.~+/-]+=*)$/.exec(req.get('authorization') ?? '')
  return match?.[1]
}

/**
 * The tenant's OpenID Provider: the provider's own endpoints, our interaction step (our login,
 * activation and Terms pages stand in for its prompts), userinfo and forward auth.
 */
export function tokenRoutes({ config, db }: Deps): {
  routes: Router
  /** oidc-provider's own endpoints; src/routes.ts names the paths it answers. */
  providerEndpoint: RequestHandler
} {
  const registry = providerRegistry({
    db,
    secretKey: config.secretKey,
    trustProxy: Boolean(config.trustProxy),
    endGatewaySession: (req, res) => finishSession(req as Request, res as Response, db),
  })
  const providerOf = (res: Response) => registry.forTenant(res.locals.tenant)
  const router = Router()

  // The provider sends the browser here when it needs a signed-in user; the gateway's session
  // answers, or the login page does first and brings the person back.
  router.get('/interaction/:uid', noStore, async (req, res) => {
    const { provider, audience } = await providerOf(res)
    const details = await openInteraction(provider, req, res)
    const session = res.locals.session
    const reasons = details.prompt.reasons
    const stale =
      session &&
      (reasons.includes('login_prompt') || reasons.includes('max_age')) &&
      session.created_at.getTime() / 1000 < (details.iat ?? 0)
    if (!session || stale) {
      if (stale) await finishSession(req, res, db)
      return res.redirect(303, `/login?return_to=${encodeURIComponent(req.originalUrl)}`)
    }
    const clientId = String(details.params['client_id'])
    const app = await getApp(db, res.locals.tenant.id, clientId)
    const account = await accountClaims(db, res.locals.tenant, session.user_id)
    if (!account || !mayUseApp(account.membership, app)) {
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'This account may not use this app.' },
        { mergeWithLastSubmission: false },
      )
    }
    const login = {
      accountId: session.user_id,
      ts: Math.floor(session.created_at.getTime() / 1000),
      amr: ['pwd'],
    }
    const grant = await firstPartyGrant(provider, {
      accountId: session.user_id,
      clientId,
      scope: String(details.params['scope'] ?? 'openid'),
      audience,
      grantId: details.grantId,
    })
    const consent = { grantId: grant.jti }
    await provider.interactionFinished(
      req,
      res,
      { login, consent },
      { mergeWithLastSubmission: false },
    )
  })

  // The app's sign-in ends with access_denied: the person cancelled it, or their access is
  // disabled (the login form found out). Bound to the browser's interaction cookie, it can only
  // end this browser's own request.
  router.get('/interaction/:uid/abort', noStore, async (req, res) => {
    const { provider } = await providerOf(res)
    const details = await openInteraction(provider, req, res)
    if (details.uid !== req.params.uid) throw new AppError('invalid_request', INTERACTION_GONE)
    const reason = req.query.reason === 'disabled' ? DISABLED : 'The person cancelled the sign-in.'
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: reason },
      { mergeWithLastSubmission: false },
    )
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
    res.set('Cache-Control', 'no-store').json(claimsForScopes(live.account, scopes))
  })

  // Forward auth (nginx auth_request, Traefik ForwardAuth): 200 with who it is, or 401.
  router.get('/auth/verify', async (req, res) => {
    res.set('Cache-Control', 'no-store')
    const session = res.locals.session
    if (!bearerOf(req) && session && !session.pending) {
      return res
        .set({
          'X-Auth-Subject': session.user_id,
          'X-Auth-Email': session.email,
          'X-Auth-Roles': session.role,
        })
        .sendStatus(200)
    }
    const live = (await liveToken(await providerOf(res), req))?.token
    if (!live) return res.set('WWW-Authenticate', 'Bearer').sendStatus(401)
    res
      .set({
        'X-Auth-Subject': String(live.sub),
        ...(live.email && { 'X-Auth-Email': live.email }),
        ...(live.roles && { 'X-Auth-Roles': live.roles.join(',') }),
      })
      .sendStatus(200)
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
    const { handle } = await providerOf(res)
    await handle(req, res)
  }
  return { routes: router, providerEndpoint }
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
