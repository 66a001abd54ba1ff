import type { AdminPrincipal } from '../admin/console-principal.js'
import type { Log } from '../log.js'
import type { Tenant } from '../tenants/tenants.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      requestId: string
      log: Log
      /** Set by resolveTenant on every tenant-host route; absent only before it runs. */
      tenant: Tenant
      /** The tenant's host this request came to (normalised; one resolveTenant matched). */
      host: string
      /** Who calls /admin/api/v1: an API key, or an admin's console session (http/auth.ts). */
      principal?: AdminPrincipal
    }
  }
}
