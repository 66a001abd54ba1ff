import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.js'
import type { PasswordResetsTable } from '../db/schema.js'

export type PasswordReset = Selectable<PasswordResetsTable>

/** A user of this directory with a password and an active membership in this tenant. */
export function findResettableUser(
  db: Db,
  tenantId: string,
  directoryId: string,
  emailKey: string,
) {
  return db
    .selectFrom('users as u')
    .innerJoin('credentials as c', (j) =>
      j.onRef('c.user_id', '=', 'u.id').onRef('c.directory_id', '=', 'u.directory_id'),
    )
    .innerJoin('memberships as m', (j) =>
      j.onRef('m.user_id', '=', 'u.id').onRef('m.directory_id', '=', 'u.directory_id'),
    )
    .select(['u.id', 'u.email', 'u.first_name', 'u.last_name', 'u.locale'])
    .where('u.directory_id', '=', directoryId)
    .where('u.email_key', '=', emailKey)
    .where('m.tenant_id', '=', tenantId)
    .where('m.status', '=', 'active')
    .executeTakeFirst()
}

/** A new link makes every earlier unused one of that user worthless. */
export async function expireUnusedResets(
  db: Db,
  directoryId: string,
  userId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('password_resets')
    .set({ expires_at: now })
    .where('directory_id', '=', directoryId)
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .execute()
}

export async function insertReset(db: Db, row: Insertable<PasswordResetsTable>): Promise<void> {
  await db.insertInto('password_resets').values(row).execute()
}

/** The reset a link names, if it can still be used, with the email it is for. */
export function findUsableReset(db: Db, tenantId: string, tokenHash: Uint8Array, now: Date) {
  return db
    .selectFrom('password_resets as r')
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'r.user_id').onRef('u.directory_id', '=', 'r.directory_id'),
    )
    .select(['r.id', 'u.email'])
    .where('r.tenant_id', '=', tenantId)
    .where('r.token_hash', '=', tokenHash)
    .where('r.used_at', 'is', null)
    .where('r.expires_at', '>', now)
    .executeTakeFirst()
}

/**
 * Spends a reset link: unused and unexpired becomes used in one guarded UPDATE, so when
 * requests race, exactly one gets the row back.
 */
export function claimReset(
  db: Db,
  tenantId: string,
  tokenHash: Uint8Array,
  now: Date,
): Promise<PasswordReset | undefined> {
  return db
    .updateTable('password_resets')
    .set({ used_at: now })
    .where('tenant_id', '=', tenantId)
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst()
}

/** Cleanup: links used or expired for a day are of no further use, not even as evidence. */
export async function deleteSpentResets(db: Db, now: Date): Promise<number> {
  const dayAgo = new Date(now.getTime() - 86_400_000)
  const result = await db
    .deleteFrom('password_resets')
    .where((eb) => eb.or([eb('used_at', '<', dayAgo), eb('expires_at', '<', dayAgo)]))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
