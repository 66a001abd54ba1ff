import type { Db } from '../db/database.js'

export async function findPlatformTenantId(db: Db): Promise<string | undefined> {
  const row = await db.selectFrom('platform_tenant').select('tenant_id').executeTakeFirst()
  return row?.tenant_id
}

export async function insertPlatformTenant(db: Db, tenantId: string): Promise<void> {
  await db.insertInto('platform_tenant').values({ tenant_id: tenantId }).execute()
}
