import type { QueryCreator } from 'kysely'
import type { Db } from '../db/database.js'
import type { Database, SessionPending } from '../db/schema.js'

export type SessionRow = {
  idHash: Uint8Array
  tenantId: string
  membershipId: string
  pending: SessionPending | null
  amr: string[]
  expiresAt: Date
  at: Date
}

/**
 * The start of a statement that opens the session and stamps the membership's last sign-in
 * (kept after the session): a statement of its own (insertSession), or part of a sign-in's.
 */
export function openingSession(db: QueryCreator<Database>, row: SessionRow) {
  return db
    .with('opened', (w) =>
      w
        .insertInto('sessions')
        .values({
          id_hash: row.idHash,
          tenant_id: row.tenantId,
          membership_id: row.membershipId,
          pending: row.pending,
          amr: JSON.stringify(row.amr),
          expires_at: row.expiresAt,
        })
        .returning('membership_id'),
    )
    .with('signed_in', (w) =>
      w
        .updateTable('memberships')
        .set({ last_sign_in_at: row.at })
        .where('tenant_id', '=', row.tenantId)
        .where('id', 'in', (eb) => eb.selectFrom('opened').select('membership_id'))
        .returning('id'),
    )
}

export async function insertSession(db: Db, row: SessionRow): Promise<void> {
  await openingSession(db, row).selectFrom('signed_in').select('id').execute()
}

/** A live session of this tenant whose membership is still active, with its user. */
export function findLiveSession(db: Db, tenantId: string, idHash: Uint8Array, now: Date) {
  return db
    .selectFrom('sessions as s')
    .innerJoin('memberships as m', (j) =>
      j.onRef('m.id', '=', 's.membership_id').onRef('m.tenant_id', '=', 's.tenant_id'),
    )
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .select([
      's.membership_id',
      's.pending',
      's.amr',
      's.created_at',
      's.expires_at',
      'm.user_id',
      'm.directory_id',
      'm.kind',
      'm.role',
      'm.groups',
      'm.products',
      'u.email',
      'u.first_name',
      'u.last_name',
      'u.locale',
    ])
    .where('s.tenant_id', '=', tenantId)
    .where('s.id_hash', '=', idHash)
    .where('s.expires_at', '>', now)
    .where('m.status', '=', 'active')
    .executeTakeFirst()
}

export async function updateSessionPending(
  db: Db,
  tenantId: string,
  idHash: Uint8Array,
  pending: SessionPending | null,
) {
  await db
    .updateTable('sessions')
    .set({ pending })
    .where('tenant_id', '=', tenantId)
    .where('id_hash', '=', idHash)
    .execute()
}

export async function deleteSession(db: Db, tenantId: string, idHash: Uint8Array): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where('tenant_id', '=', tenantId)
    .where('id_hash', '=', idHash)
    .execute()
}

/** After a password change elsewhere, every other session of that user in the directory ends. */
export async function deleteSessionsOfUser(
  db: Db,
  directoryId: string,
  userId: string,
  except?: Uint8Array,
): Promise<void> {
  let query = db
    .deleteFrom('sessions')
    .where('membership_id', 'in', (eb) =>
      eb
        .selectFrom('memberships')
        .select('id')
        .where('directory_id', '=', directoryId)
        .where('user_id', '=', userId),
    )
  if (except) query = query.where('id_hash', '!=', except)
  await query.execute()
}

export async function deleteExpiredSessions(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
