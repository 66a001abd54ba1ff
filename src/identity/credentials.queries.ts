import { type QueryCreator, type Selectable, sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { CredentialsTable, Database } from '../db/schema.js'

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

/**
 * One more failure in a row; the one that reaches `lockAt` locks the credential until
 * `lockUntil`, in the same atomic update. A part of a sign-in's statement, or one of its own.
 */
export function countFailedLogin(
  db: QueryCreator<Database>,
  credential: { directoryId: string; userId: string | null },
  lock: { at: number; until: Date },
) {
  return db
    .updateTable('credentials')
    .set((eb) => ({
      failed_logins: eb('failed_logins', '+', 1),
      locked_until: eb
        .case()
        .when(eb('failed_logins', '+', 1), '>=', lock.at)
        .then(lock.until)
        .else(eb.ref('locked_until'))
        .end(),
    }))
    .where('directory_id', '=', credential.directoryId)
    .where('user_id', '=', credential.userId)
}

/** A success forgets the failures in a row (and an expired lock); no write when there are none. */
export function clearFailedLogins(
  db: QueryCreator<Database>,
  credential: { directoryId: string; userId: string | null },
) {
  return db
    .updateTable('credentials')
    .set({ failed_logins: 0, locked_until: null })
    .where('directory_id', '=', credential.directoryId)
    .where('user_id', '=', credential.userId)
    .where('failed_logins', '>', 0)
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
