import { sql } from 'kysely'
import type { Db } from '../db/database.js'

export const lockMembershipProducts = (db: Db, tenantId: string, id: string) =>
  db
    .selectFrom('memberships')
    .select(['id', 'user_id', 'kind', 'products'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()

export async function setProducts(db: Db, tenantId: string, id: string, products: string[]) {
  await db
    .updateTable('memberships')
    .set({ products: JSON.stringify(products), updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** The account's grants and tokens of one app at this tenant. */
export async function endAppAccess(db: Db, tenantId: string, userId: string, clientId: string) {
  await db
    .deleteFrom('oidc_artefacts')
    .where('tenant_id', '=', tenantId)
    .where(sql<string>`payload->>'accountId'`, '=', userId)
    .where(sql<string>`payload->>'clientId'`, '=', clientId)
    .execute()
}
