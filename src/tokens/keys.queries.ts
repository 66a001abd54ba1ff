import type { Insertable } from 'kysely'
import type { Db } from '../db/database.js'
import type { SigningKeysTable } from '../db/schema.js'

/** Keys a tenant publishes now: active first (it signs), then next, then retired ones. */
export function findPublishedKeys(db: Db, tenantId: string, now: Date) {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((w) => w.or([w('retire_after', 'is', null), w('retire_after', '>', now)]))
    .orderBy((o) =>
      o
        .case()
        .when('state', '=', 'active')
        .then(0)
        .when('state', '=', 'next')
        .then(1)
        .else(2)
        .end(),
    )
    .orderBy('created_at', 'desc')
    .execute()
}

/** The most recently created key of any tenant, sealed: enough to tell whether SECRET_KEY opens them. */
export function findNewestSealedKey(db: Db) {
  return db
    .selectFrom('signing_keys')
    .select('private_sealed')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export async function insertKey(db: Db, row: Insertable<SigningKeysTable>): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute()
}

/** Locks the tenant's key rows, so two rotations of one tenant run one after the other. */
export function lockKeys(db: Db, tenantId: string) {
  return db
    .selectFrom('signing_keys')
    .select(['kid', 'state'])
    .where('tenant_id', '=', tenantId)
    .forUpdate()
    .execute()
}

export async function retireActive(db: Db, tenantId: string, retireAfter: Date): Promise<void> {
  await db
    .updateTable('signing_keys')
    .set({ state: 'retired', retire_after: retireAfter })
    .where('tenant_id', '=', tenantId)
    .where('state', '=', 'active')
    .execute()
}

export async function activateNext(db: Db, tenantId: string, now: Date): Promise<void> {
  await db
    .updateTable('signing_keys')
    .set({ state: 'active', activated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('state', '=', 'next')
    .execute()
}

export async function deleteExpiredKeys(db: Db, tenantId: string, now: Date): Promise<void> {
  await db
    .deleteFrom('signing_keys')
    .where('tenant_id', '=', tenantId)
    .where('state', '=', 'retired')
    .where('retire_after', '<=', now)
    .execute()
}
