import type { Tx } from '../db/database.js'
import type { TenantSettings } from './settings.js'
import { countTenants, createTenant, type Tenant, type TenantUrls } from './tenants.js'
import { lockTenantCreation } from './tenants.queries.js'

export type DemoSeed = {
  slug: string
  name: string
  hosts: string[]
  directory: { kind: 'database'; name: string }
}

/**
 * First run on an empty database: one demo tenant so `npm start` has something to open.
 * Runs under the tenant-creation lock, so two processes starting together seed it once.
 */
export async function seedDemoTenant(
  tx: Tx,
  seed: DemoSeed,
  settings: TenantSettings,
  urls: TenantUrls,
): Promise<Tenant | undefined> {
  await lockTenantCreation(tx)
  if ((await countTenants(tx)) > 0) return undefined
  return createTenant(tx, { ...seed, settings }, urls)
}
