import { type Insertable, sql, type Updateable } from 'kysely'
import type { Db } from '../db/database.js'
import type { AppsTable } from '../db/schema.js'

const COLUMNS = [
  'id',
  'client_id',
  'name',
  'type',
  'redirect_uris',
  'post_logout_redirect_uris',
  'product',
  'launch_url',
  'admin_api',
  'created_at',
  'updated_at',
] as const

export function insertApp(db: Db, row: Insertable<AppsTable>) {
  return db.insertInto('apps').values(row).returning(COLUMNS).executeTakeFirstOrThrow()
}

export function listApps(db: Db, tenantId: string) {
  return db
    .selectFrom('apps')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .orderBy('id')
    .execute()
}

export function findApp(db: Db, tenantId: string, clientId: string) {
  return db
    .selectFrom('apps')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('client_id', '=', clientId)
    .executeTakeFirst()
}

/** What the provider needs to authenticate the client: its metadata and its secret's digest. */
export function findClient(db: Db, tenantId: string, clientId: string) {
  return db
    .selectFrom('apps')
    .select([...COLUMNS, 'secret_hash'])
    .where('tenant_id', '=', tenantId)
    .where('client_id', '=', clientId)
    .executeTakeFirst()
}

export function updateApp(
  db: Db,
  tenantId: string,
  clientId: string,
  changes: Updateable<AppsTable>,
) {
  return db
    .updateTable('apps')
    .set({ ...changes, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('client_id', '=', clientId)
    .returning(COLUMNS)
    .executeTakeFirst()
}

export async function deleteApp(db: Db, tenantId: string, clientId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('apps')
    .where('tenant_id', '=', tenantId)
    .where('client_id', '=', clientId)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

/**
 * Everything the provider issued to an app (grants, codes, refresh tokens, access and client
 * credentials tokens all name their `clientId`): verifyAccessToken and the provider read these
 * rows, so the tokens die with them.
 */
export async function deleteArtefactsOfApp(db: Db, tenantId: string, clientId: string) {
  await db
    .deleteFrom('oidc_artefacts')
    .where('tenant_id', '=', tenantId)
    .where(sql<string>`payload->>'clientId'`, '=', clientId)
    .execute()
}
