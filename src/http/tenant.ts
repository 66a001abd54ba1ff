import type { RequestHandler } from 'express'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { normalizeHost } from '../tenants/hosts.js'
import { findTenantForHost, type Tenant, type TenantUrls } from '../tenants/tenants.js'

// Resolution runs on every request. Found tenants are kept for one second: a change made by any
// gateway process (settings, hosts) is seen everywhere within that second, and a busy host costs
// one query per second instead of one per request. Unknown hosts are never cached, so a new
// tenant answers at once. Tests pass 0 (RuntimeConfig.tenantCacheTtlMs) to see a change at once.
export const TENANT_CACHE_TTL_MS = 1_000
const MAX_ENTRIES = 10_000

/** Host -> tenant (exact host, then {slug}.BASE_DOMAIN); an unknown host is a 404, never a default tenant. */
export function resolveTenant(
  db: Db,
  urls: TenantUrls,
  ttlMs = TENANT_CACHE_TTL_MS,
): RequestHandler {
  const cache = new Map<string, { tenant: Tenant; until: number }>()
  return async (req, res, next) => {
    const host = normalizeHost(req.get('host'))
    if (!host) throw new AppError('invalid_request', 'The Host header does not name a host.')
    const now = Date.now()
    const cached = cache.get(host)
    let tenant = cached && cached.until > now ? cached.tenant : undefined
    if (!tenant) {
      tenant = await findTenantForHost(db, host, urls)
      if (!tenant) throw new AppError('not_found', 'No store is served at this address.')
      if (cache.size >= MAX_ENTRIES) cache.clear()
      if (ttlMs > 0) cache.set(host, { tenant, until: now + ttlMs })
    }
    res.locals.tenant = tenant
    res.locals.host = host
    res.locals.log = res.locals.log.child({ tenant: tenant.slug })
    next()
  }
}
