import { type Selectable, sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { CredentialsTable } from '../db/schema.js'

export type Credential = Selectable<CredentialsTable>

export function findCredential(
  db: Db,
  directoryId: string,
  userId: string,
): Promise<Credential | undefined> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('directory_id', '=', directoryId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
}

export async function saveCredential(
  db: Db,
  row: { directoryId: string; userId: string; hash: string; policy: unknown; now: Date },
) {
  const values = {
    user_id: row.userId,
    directory_id: row.directoryId,
    password_hash: row.hash,
    policy: JSON.stringify(row.policy),
    changed_at: row.now,
    failed_logins: 0,
    locked_until: null,
  }
  await db
    .insertInto('credentials')
    .values(values)
    .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
    .execute()
}

/**
 * A rehash keeps the password's policy record and its change date: only the encoding changes.
 * Guarded by the hash it replaces: a password changed while the old one was being verified (a
 * slow imported bcrypt, say) is not overwritten by a fresh hash of the old password.
 */
export async function replaceHash(
  db: Db,
  directoryId: string,
  userId: string,
  row: { from: string; to: string },
): Promise<void> {
  await db
    .updateTable('credentials')
    .set({ password_hash: row.to })
    .where('directory_id', '=', directoryId)
    .where('user_id', '=', userId)
    .where('password_hash', '=', row.from)
    .execute()
}

export function recordFailedLogin(db: Db, directoryId: string, userId: string) {
  return db
    .updateTable('credentials')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
    .where('directory_id', '=', directoryId)
    .where('user_id', '=', userId)
    .returning(['failed_logins'])
    .executeTakeFirst()
}

export async function lockCredential(
  db: Db,
  directoryId: string,
  userId: string,
  until: Date,
): Promise<void> {
  await db
    .updateTable('credentials')
    .set({ locked_until: until })
    .where('directory_id', '=', directoryId)
    .where('user_id', '=', userId)
    .execute()
}

export async function clearFailedLogins(
  db: Db,
  directoryId: string,
  userId: string,
): Promise<void> {
  await db
    .updateTable('credentials')
    .set({ failed_logins: 0, locked_until: null })
    .where('directory_id', '=', directoryId)
    .where('user_id', '=', userId)
    .where('failed_logins', '>', 0)
    .execute()
}

/**
 * Ends what the OpenID Provider holds for this user in every tenant of the directory: provider
 * sessions, grants, codes, refresh and access tokens (each artefact names its `accountId`, the
 * user's id). The provider and verifyAccessToken read these rows, so a token dies with its row.
 * Identity owns this statement on the provider's table so that identity needs nothing from
 * tokens/ (features depend one way), and it runs in the password change's own transaction.
 */
export async function revokeGrantsOfUser(
  db: Db,
  directoryId: string,
  userId: string,
): Promise<void> {
  await db
    .deleteFrom('oidc_artefacts')
    .where('tenant_id', 'in', (eb) =>
      eb
        .selectFrom('tenant_directories')
        .select('tenant_id')
        .where('directory_id', '=', directoryId),
    )
    .where(sql<string>`payload->>'accountId'`, '=', userId)
    .execute()
}
