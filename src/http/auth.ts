import type { Request, RequestHandler, Response } from 'express'
import { authenticateApiKey } from '../admin/api-keys.js'
import { appTokenPrincipal } from '../admin/app-tokens.js'
import type {
  ApiKeyPrincipal,
  ClientPrincipal,
  SessionPrincipal,
} from '../admin/console-principal.js'
import type { Deps } from '../app.js'
import { isAdminSession } from '../console/admins.js'
import { CSRF_HEADER, isConsoleCsrfToken, isSameOrigin } from '../console/csrf.js'
import { isPlatformTenant } from '../console/platform.js'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { findSession } from '../identity/sessions.js'
import { normalizeHost } from '../tenants/hosts.js'
import { findTenantForHost, getTenant, type Tenant, type TenantUrls } from '../tenants/tenants.js'
import { sessionTokenOf } from './session-cookie.js'

/**
 * /admin/api/v1's callers: a bearer API key (machines, as before), a bearer access token a
 * tenant's provider issued to a machine app by client credentials with `gateway:admin` (that
 * tenant alone: admin/app-tokens.ts), or, without an Authorization
 * header, the console's session on the request's host (an admin's browser). The session's
 * cookie is host-only, so the console on host X calls the API on host X and acts on X's tenant
 * alone (the platform tenant's admins: on every tenant). A session must bring the CSRF header
 * and no foreign Origin: SameSite=Lax alone lets a sibling subdomain (another tenant) post.
 */
export function adminAuth({ db, config }: Pick<Deps, 'db' | 'config'>): RequestHandler {
  return async (req, res, next) => {
    const authorization = req.get('authorization')
    const principal =
      authorization !== undefined
        ? await bearerPrincipal(authorization)
        : await sessionPrincipal(req)
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer realm="gateway admin"')
      throw new AppError(
        'unauthorized',
        "A valid API key (Authorization: Bearer gwk_…), an app's client-credentials access token with the gateway:admin scope, or an admin's console session is required.",
      )
    }
    res.locals.principal = principal
    next()
  }
  async function bearerPrincipal(
    authorization: string,
  ): Promise<ApiKeyPrincipal | ClientPrincipal | undefined> {
    const [scheme, credential] = authorization.split(' ')
    if (scheme?.toLowerCase() !== 'bearer' || !credential) return undefined
    // A JWT has three dot-separated parts; an API key (gwk_…) has none.
    if (credential.split('.').length === 3) return appTokenPrincipal(db, config, credential)
    return keyPrincipal(db, authorization)
  }
  async function sessionPrincipal(req: Request): Promise<SessionPrincipal | undefined> {
    const host = normalizeHost(req.get('host'))
    const tenant = host ? await findTenantForHost(db, host, config) : undefined
    if (!tenant) return undefined
    const session = await findSession(db, tenant.id, sessionTokenOf(req, tenant))
    if (!session) return undefined
    const csrf = isConsoleCsrfToken(config.secretKey, session.idHash, req.get(CSRF_HEADER))
    const origin = new URL(tenant.publicUrl).origin
    if (!csrf || !isSameOrigin(req.get('origin'), req.get('sec-fetch-site'), origin))
      throw new AppError(
        'forbidden',
        'This console request is missing its CSRF token or comes from another site. Reload the page.',
      )
    if (!isAdminSession(session))
      throw new AppError('forbidden', "Only the store's administrators may use its admin API.")
    return {
      kind: 'session',
      tenantId: (await isPlatformTenant(db, tenant.id)) ? null : tenant.id,
      membershipId: session.membership_id,
      userId: session.user_id,
      email: session.email,
      name: session.email,
    }
  }
}

async function keyPrincipal(db: Db, authorization: string): Promise<ApiKeyPrincipal | undefined> {
  const [scheme, key] = authorization.split(' ')
  const principal =
    scheme?.toLowerCase() === 'bearer' && key ? await authenticateApiKey(db, key) : undefined
  return principal && { kind: 'api_key', ...principal }
}

/**
 * The tenant named in the path, if the caller's key may act on it. A tenant key asking for
 * another tenant gets the same 404 as for a tenant that does not exist (OWASP ASVS 8.4.1).
 */
export async function tenantInPath(
  db: Db,
  res: Response,
  slug: string | undefined,
  urls: TenantUrls,
): Promise<Tenant> {
  const principal = res.locals.principal
  // Only "no such tenant" is a 404: a database outage must stay a 503.
  const tenant = slug ? await getTenant(db, slug, urls).catch(absentOnly) : undefined
  if (!principal || !tenant || (principal.tenantId !== null && principal.tenantId !== tenant.id)) {
    throw new AppError('not_found', `There is no tenant "${slug ?? ''}".`)
  }
  return tenant
}

const absentOnly = (err: unknown) => {
  if (err instanceof AppError && err.code === 'not_found') return undefined
  throw err
}

export function requirePlatformKey(res: Response): void {
  if (res.locals.principal?.tenantId !== null)
    throw new AppError('forbidden', 'This needs a platform API key or a platform admin.')
}
