import type { Principal } from '../admin/api-keys.js'
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
      /** The API key of an /admin/api/v1 request. */
      principal?: Principal
    }
  }
}
