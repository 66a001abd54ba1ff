import type { RequestHandler, Response } from 'express'
import { authenticateApiKey } from '../admin/api-keys.js'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { getTenant, type Tenant, type TenantUrls } from '../tenants/tenants.js'

/** Bearer API keys for /admin/api/v1. */
export function apiKeyAuth(db: Db): RequestHandler {
  return async (req, res, next) => {
    const [scheme, key] = (req.get('authorization') ?? '').split(' ')
    const principal =
      scheme?.toLowerCase() === 'bearer' && key ? await authenticateApiKey(db, key) : undefined
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer realm="gateway admin"')
      throw new AppError(
        'unauthorized',
        'A valid API key is required (Authorization: Bearer gwk_…).',
      )
    }
    res.locals.principal = principal
    next()
  }
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
  // Only "no such tenant" becomes the 404; a database outage stays an outage (503).
  const tenant = slug
    ? await getTenant(db, slug, urls).catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'not_found') return undefined
        throw err
      })
    : undefined
  if (!principal || !tenant || (principal.tenantId !== null && principal.tenantId !== tenant.id)) {
    throw new AppError('not_found', `There is no tenant "${slug ?? ''}".`)
  }
  return tenant
}

export function requirePlatformKey(res: Response): void {
  if (res.locals.principal?.tenantId !== null)
    throw new AppError('forbidden', 'This needs a platform API key.')
}
