import type { RequestHandler } from 'express'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { normalizeHost } from '../tenants/hosts.js'
import { findTenantForHost, type TenantUrls } from '../tenants/tenants.js'

/** Host -> tenant (exact host, then {slug}.BASE_DOMAIN); an unknown host is a 404, never a default tenant. */
export function resolveTenant(db: Db, urls: TenantUrls): RequestHandler {
  return async (req, res, next) => {
    const host = normalizeHost(req.get('host'))
    if (!host) throw new AppError('invalid_request', 'The Host header does not name a host.')
    const tenant = await findTenantForHost(db, host, urls)
    if (!tenant) throw new AppError('not_found', 'No store is served at this address.')
    res.locals.tenant = tenant
    res.locals.log = res.locals.log.child({ tenant: tenant.slug })
    next()
  }
}
