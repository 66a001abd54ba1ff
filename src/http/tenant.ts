import type { RequestHandler, Response } from 'express'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { type RevocationView, revocationKeys } from '../revocation/view.js'
import { normalizeHost } from '../tenants/hosts.js'
import { findTenantForHost, type Tenant, type TenantUrls } from '../tenants/tenants.js'

// Resolution runs on every request. Found tenants are kept for one second: a change made by any
// gateway process (settings, hosts) is seen everywhere within that second, and a busy host costs
// one query per second instead of one per request. Unknown hosts are never cached, so a new
// tenant answers at once. Tests pass 0 (RuntimeConfig.tenantCacheTtlMs) to see a change at once.
export const TENANT_CACHE_TTL_MS = 1_000
// With a revocation view, a change to a tenant (its row, hosts, keys) is an event every process
// reads within a second (src/revocation/), so a tenant is kept until one names it, this long
// at most.
const WATCHED_TTL_MS = 60_000
const MAX_ENTRIES = 10_000

type Cached = { tenant: Tenant; host: string; at: number; since: number; keys: string[] }

/** Host -> tenant (exact host, then {slug}.BASE_DOMAIN); an unknown host is a 404, never a default tenant. */
export function resolveTenant(
  db: Db,
  urls: TenantUrls,
  ttlMs = TENANT_CACHE_TTL_MS,
  view?: RevocationView,
): RequestHandler {
  // Keyed by the Host header as sent: a hit costs no normalising.
  const cache = new Map<string, Cached>()
  // Within ttlMs in any case; then, while the view is fresh and no event names the tenant,
  // up to WATCHED_TTL_MS.
  const hit = (cached: Cached | undefined, now: number) => {
    if (!cached) return undefined
    const age = now - cached.at
    if (age < ttlMs) return cached
    const watched = view && age < WATCHED_TTL_MS && view.fresh()
    return watched && view.holds(cached.since, cached.keys) ? cached : undefined
  }
  const answer = (res: Response, found: Cached) => {
    res.locals.tenant = found.tenant
    res.locals.host = found.host
  }
  async function lookUp(header: string, res: Response, now: number) {
    const host = normalizeHost(header)
    if (!host) throw new AppError('invalid_request', 'The Host header does not name a host.')
    const since = view?.now() ?? 0
    const tenant = await findTenantForHost(db, host, urls)
    if (!tenant) throw new AppError('not_found', 'No store is served at this address.')
    if (cache.size >= MAX_ENTRIES) cache.clear()
    const found = { tenant, host, at: now, since, keys: [revocationKeys.tenant(tenant.id)] }
    if (ttlMs > 0) cache.set(header, found)
    answer(res, found)
  }
  // A cached tenant is answered without a promise (see tokens/forward-auth.ts).
  return (req, res, next) => {
    const header = req.headers.host ?? ''
    const now = Date.now()
    const found = hit(cache.get(header), now)
    if (!found) return lookUp(header, res, now).then(() => next())
    answer(res, found)
    next()
  }
}
