import type { Db } from '../db/database.js'
import { checkGrant, type Grant, type GrantCheck } from '../members/rules.js'
import type { Tenant } from '../tenants/tenants.js'
import { listAppColumns } from './imports.queries.js'

// The members' own catalogue check (members/rules.ts checkGrant: roles, groups, organizations,
// products, the store's rules, its reasons), asked once per distinct grant of a chunk: the rows
// of a file share a handful of grants, so a chunk of 1,000 costs a few checks, not 1,000.

export type Catalogue = {
  /** App name -> the product its column grants. */
  apps: Map<string, string>
  check: (grant: Grant) => Promise<GrantCheck>
}

export async function loadCatalogue(db: Db, tenant: Tenant): Promise<Catalogue> {
  const apps = await listAppColumns(db, tenant.id)
  const checked = new Map<string, Promise<GrantCheck>>()
  return {
    apps: new Map(apps.map((a) => [a.name, a.product])),
    check(grant) {
      const key = JSON.stringify([
        grant.role,
        [...grant.groups].sort(),
        [...grant.products].sort(),
        grant.organization,
      ])
      let result = checked.get(key)
      if (!result) checked.set(key, (result = checkGrant(db, tenant, grant)))
      return result
    },
  }
}
