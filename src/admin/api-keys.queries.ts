import type { Db } from '../db/database.js'

export function insertApiKey(
  db: Db,
  row: { tenantId: string | null; name: string; hash: Uint8Array; prefix: string },
) {
  return db
    .insertInto('api_keys')
    .values({ tenant_id: row.tenantId, name: row.name, key_hash: row.hash, prefix: row.prefix })
    .returning(['id', 'tenant_id', 'name', 'prefix', 'created_at'])
    .executeTakeFirstOrThrow()
}

export function findLiveApiKey(db: Db, hash: Uint8Array) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'tenant_id', 'name'])
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
}

export async function touchApiKey(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute()
}

export function listApiKeys(db: Db) {
  return db
    .selectFrom('api_keys as k')
    .leftJoin('tenants as t', 't.id', 'k.tenant_id')
    .select([
      'k.id',
      'k.name',
      'k.prefix',
      't.slug as tenant',
      'k.created_at',
      'k.last_used_at',
      'k.revoked_at',
    ])
    .orderBy('k.created_at')
    .execute()
}

export function revokeApiKey(db: Db, id: string, now: Date) {
  return db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning(['id', 'name', 'tenant_id'])
    .executeTakeFirst()
}
