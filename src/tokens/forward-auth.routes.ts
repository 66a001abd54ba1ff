import type { Request, RequestHandler, Response } from 'express'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { readCookie } from '../http/cookies.js'
import { findSession, type Session } from '../identity/sessions.js'
import { revocableCache } from '../revocation/cache.js'
import { type RevocationView, revocationKeys } from '../revocation/view.js'
import type { Tenant } from '../tenants/tenants.js'
import { CALLER_KINDS, type CallerKind, forwardAuth } from './forward-auth.js'
import type { VerifiedAccessToken } from './provider/access-tokens.js'

/** What forward auth needs of a tenant's provider: its access-token checks. */
type TokenChecks = { verifyAccessToken(token: string): Promise<VerifiedAccessToken | undefined> }

const BEARER = /^Bearer ([\w.~+/-]+=*)$/
const SESSION_COOKIE = 'gw_session'

/**
 * GET /auth/verify: 200 with who it is, 401 without a live credential, 403 for the wrong kind
 * when the location asks for one (`?kind=person`: people only, no machine app's token). A
 * bearer token is the credential when one is sent (the cookie is not even read); else the
 * session cookie, and a session that still owes a step (password, Terms) is none yet: the
 * sign-in the proxy sends the person to leads them there.
 *
 * It runs on every request of every protected app, so the answers of the database (a session,
 * a token's record and member) are kept per process while the revocation view says they hold
 * (src/revocation/): a revoked token, an ended session or a disabled member is refused by every
 * process within a second. Without a view (tests that must see a change at once) every call
 * asks the database.
 */
export function forwardAuthRoute(input: {
  db: Db
  view: RevocationView | undefined
  providerOf: (tenant: Tenant) => Promise<TokenChecks>
}): RequestHandler {
  const { db, view, providerOf } = input
  const tokens = view && revocableCache<VerifiedAccessToken>(view)
  const sessions = view && revocableCache<Session>(view)

  async function lookUpToken(tenant: Tenant, token: string, id: string) {
    const since = view?.now() ?? 0
    const verified = await (await providerOf(tenant)).verifyAccessToken(token)
    if (verified && tokens)
      tokens.set(id, verified, since, tokenKeys(tenant, verified), expiry(verified))
    return verified
  }

  async function lookUpSession(tenant: Tenant, token: string, id: string) {
    const since = view?.now() ?? 0
    const session = await findSession(db, tenant.id, token)
    if (session && sessions)
      sessions.set(id, session, since, sessionKeys(tenant, session), session.expires_at.getTime())
    return session
  }

  // A cached credential is answered without a promise: in a process where oidc-provider's
  // AsyncLocalStorage has switched async hooks on (Node 20), each promise costs a hook call.
  return (req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    const only = req.query.kind
    if (only !== undefined && !CALLER_KINDS.includes(only as CallerKind))
      throw new AppError('invalid_request', 'kind must be "person" or "machine".')
    const asked = { res, only: only as CallerKind | undefined }
    const tenant = res.locals.tenant
    const bearer = BEARER.exec(req.headers.authorization ?? '')?.[1]
    if (bearer) {
      const id = `${tenant.id} ${tenant.publicUrl} ${bearer}`
      const cached = tokens?.get(id)
      if (cached) return answer({ ...asked, token: cached })
      return lookUpToken(tenant, bearer, id).then((token) => answer({ ...asked, token }))
    }
    const cookie = sessionCookieOf(req, tenant)
    if (!cookie) return answer(asked)
    const id = `${tenant.id} ${cookie}`
    const cached = sessions?.get(id)
    if (cached) return answer({ ...asked, session: cached })
    return lookUpSession(tenant, cookie, id).then((session) => answer({ ...asked, session }))
  }
}

/** Writes forward auth's answer; a session that still owes a step is no credential yet. */
function answer(input: {
  res: Response
  only: CallerKind | undefined
  session?: Session | undefined
  token?: VerifiedAccessToken | undefined
}): void {
  const { res, session, token, only } = input
  const outcome = forwardAuth({ session: session?.pending ? undefined : session, token, only })
  if (outcome.kind === 'unauthenticated')
    return void res.set('WWW-Authenticate', 'Bearer').sendStatus(401)
  if (outcome.kind === 'forbidden') return void res.set('X-Auth-Kind', outcome.seen).sendStatus(403)
  // No body: the proxy reads the status and the headers (and res.send would hash one for an ETag).
  res.statusCode = 200
  for (const name in outcome.headers) res.setHeader(name, outcome.headers[name]!)
  res.end()
}

// The session cookie's name follows the tenant's canonical URL (http/session-cookie.ts).
const sessionCookieOf = (req: Request, tenant: Tenant) =>
  readCookie(
    req,
    tenant.publicUrl.startsWith('https:') ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE,
  )

/** Until the token expires (its `exp`), at most. */
const expiry = (verified: VerifiedAccessToken) => Number(verified.token.exp ?? 0) * 1000

/** What a verified token rests on: its record, its app, the tenant, and a person's membership. */
function tokenKeys(tenant: Tenant, { token, account }: VerifiedAccessToken): string[] {
  const keys = [
    revocationKeys.tenant(tenant.id),
    revocationKeys.accessToken(tenant.id, String(token.jti)),
    revocationKeys.app(tenant.id, token.client_id),
  ]
  if (account)
    keys.push(revocationKeys.membership(tenant.id, account.sub), revocationKeys.user(account.sub))
  return keys
}

/** What a session rests on: its row, its membership and user, the tenant. */
const sessionKeys = (tenant: Tenant, session: Session) => [
  revocationKeys.tenant(tenant.id),
  revocationKeys.session(tenant.id, Buffer.from(session.idHash).toString('hex')),
  revocationKeys.membership(tenant.id, session.user_id),
  revocationKeys.user(session.user_id),
]
