import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.js'
import type { InvitationsTable } from '../db/schema.js'

export type Invitation = Selectable<InvitationsTable>

export function insertInvitation(db: Db, row: Insertable<InvitationsTable>): Promise<Invitation> {
  return db.insertInto('invitations').values(row).returningAll().executeTakeFirstOrThrow()
}

export function findInvitation(db: Db, tenantId: string, id: string) {
  return withPerson(db)
    .where('i.tenant_id', '=', tenantId)
    .where('i.id', '=', id)
    .executeTakeFirst()
}

export function findInvitationOfMembership(
  db: Db,
  tenantId: string,
  membershipId: string,
): Promise<Invitation | undefined> {
  return db
    .selectFrom('invitations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('membership_id', '=', membershipId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Invitations, with their person, that can still be used: pending and unexpired. */
const usableWithPerson = (db: Db, now: Date) =>
  withPerson(db).where('i.status', '=', 'pending').where('i.expires_at', '>', now)

/** The usable invitation of an address at this tenant, if one is pending (already_invited). */
export function findPendingForAddress(
  db: Db,
  input: { tenantId: string; directoryId: string; emailKey: string },
  now: Date,
) {
  return usableWithPerson(db, now)
    .where('i.tenant_id', '=', input.tenantId)
    .where('u.directory_id', '=', input.directoryId)
    .where('u.email_key', '=', input.emailKey)
    .where('m.status', '=', 'invited')
    .executeTakeFirst()
}

/** The invitation a link names, if it can still be used. */
export function findUsableByTokenHash(db: Db, tenantId: string, tokenHash: Uint8Array, now: Date) {
  return usableWithPerson(db, now)
    .where('i.tenant_id', '=', tenantId)
    .where('i.token_hash', '=', tokenHash)
    .executeTakeFirst()
}

/**
 * Spends an invitation named by its link's token hash or by its id: pending and unexpired
 * becomes accepted in one guarded UPDATE, so when requests race, exactly one gets the row back.
 */
function claimUsable(
  db: Db,
  tenantId: string,
  key: { tokenHash: Uint8Array } | { id: string },
  now: Date,
) {
  return db
    .updateTable('invitations')
    .set({ status: 'accepted', accepted_at: now, token_sealed: null })
    .where('tenant_id', '=', tenantId)
    .where((eb) => ('id' in key ? eb('id', '=', key.id) : eb('token_hash', '=', key.tokenHash)))
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst()
}

/** Spends a link's token (claimUsable). */
export const claimInvitation = (db: Db, tenantId: string, tokenHash: Uint8Array, now: Date) =>
  claimUsable(db, tenantId, { tokenHash }, now)

/** Spends an invitation into an enterprise directory by id: its sign-in, not its link, accepts it. */
export const claimInvitationById = (db: Db, tenantId: string, id: string, now: Date) =>
  claimUsable(db, tenantId, { id }, now)

/** The usable invitation of this user into this enterprise directory, at this tenant. */
export function findPendingDirectoryInvitation(
  db: Db,
  input: { tenantId: string; directoryId: string; userId: string },
  now: Date,
) {
  return usableWithPerson(db, now)
    .where('i.tenant_id', '=', input.tenantId)
    .where('i.directory_id', '=', input.directoryId)
    .where('u.directory_id', '=', input.directoryId)
    .where('u.id', '=', input.userId)
    .executeTakeFirst()
}

/** New token, new expiry: the old hash no longer matches anything, so every earlier link dies. */
export function renewInvitation(
  db: Db,
  tenantId: string,
  id: string,
  token: { hash: Uint8Array; sealed: Uint8Array; expiresAt: Date; locale: string },
  now: Date,
): Promise<Invitation | undefined> {
  return db
    .updateTable('invitations')
    .set((eb) => ({
      token_hash: token.hash,
      token_sealed: token.sealed,
      expires_at: token.expiresAt,
      locale: token.locale,
      status: 'pending',
      last_sent_at: now,
      last_reminded_at: null,
      revoked_at: null,
      send_count: eb('send_count', '+', 1),
    }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '!=', 'accepted')
    .returningAll()
    .executeTakeFirst()
}

/** A reminder's new link for an expired pending invitation (lifecycle.reminderLink). */
export function refreshExpiredLink(
  db: Db,
  tenantId: string,
  id: string,
  token: { hash: Uint8Array; sealed: Uint8Array; expiresAt: Date; now: Date },
) {
  return db
    .updateTable('invitations')
    .set({ token_hash: token.hash, token_sealed: token.sealed, expires_at: token.expiresAt })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '<=', token.now)
    .returningAll()
    .executeTakeFirst()
}

/** Guarded in SQL on the cooldown, so two resends racing past it send once. */
export function markResent(db: Db, tenantId: string, id: string, sentBefore: Date, now: Date) {
  return db
    .updateTable('invitations')
    .set((eb) => ({ last_sent_at: now, send_count: eb('send_count', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('last_sent_at', '<=', sentBefore)
    .returningAll()
    .executeTakeFirst()
}

export function revokeInvitation(db: Db, tenantId: string, id: string, now: Date) {
  return db
    .updateTable('invitations')
    .set({ status: 'revoked', revoked_at: now, token_sealed: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst()
}

export function withPerson(db: Db) {
  return db
    .selectFrom('invitations as i')
    .innerJoin('memberships as m', (j) =>
      j.onRef('m.id', '=', 'i.membership_id').onRef('m.tenant_id', '=', 'i.tenant_id'),
    )
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .selectAll('i')
    .select([
      // i.directory_id under its own name: u.directory_id below takes the plain one.
      'i.directory_id as invitation_directory_id',
      'u.id as user_id',
      'u.directory_id',
      'u.email',
      'u.email_key',
      'u.first_name',
      'u.last_name',
      'u.phone',
      'u.job_title',
      'm.kind',
      'm.role',
      'm.groups',
      'm.products',
      'm.organization',
      'm.status as membership_status',
    ])
}

export type InvitationWithPerson = NonNullable<Awaited<ReturnType<typeof findInvitation>>>

export type ListFilter = {
  status?: 'pending' | 'expired' | 'accepted' | 'revoked'
  search?: string
  sort: { column: 'created_at' | 'email' | 'expires_at'; descending: boolean }
  after?: { value: string; id: string }
  limit: number
  now: Date
}

/** Keyset pagination on (sort column, id): stable under inserts, no OFFSET scans. */
export function listInvitations(db: Db, tenantId: string, filter: ListFilter) {
  const column =
    filter.sort.column === 'email' ? 'u.email_key' : (`i.${filter.sort.column}` as const)
  const direction = filter.sort.descending ? 'desc' : 'asc'
  let query = withPerson(db).where('i.tenant_id', '=', tenantId)

  if (filter.status === 'pending')
    query = query.where('i.status', '=', 'pending').where('i.expires_at', '>', filter.now)
  if (filter.status === 'expired')
    query = query.where('i.status', '=', 'pending').where('i.expires_at', '<=', filter.now)
  if (filter.status === 'accepted' || filter.status === 'revoked')
    query = query.where('i.status', '=', filter.status)
  if (filter.search) {
    const pattern = `%${filter.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    query = query.where((eb) =>
      eb.or([
        eb('u.email_key', 'like', pattern),
        eb(eb.fn('lower', ['u.first_name']), 'like', pattern),
        eb(eb.fn('lower', ['u.last_name']), 'like', pattern),
      ]),
    )
  }
  if (filter.after) {
    const { value, id } = filter.after
    const cursorValue = filter.sort.column === 'email' ? value : new Date(value)
    const op = filter.sort.descending ? '<' : '>'
    query = query.where((eb) =>
      eb.or([
        eb(column, op, cursorValue),
        eb.and([eb(column, '=', cursorValue), eb('i.id', op, id)]),
      ]),
    )
  }
  return query
    .orderBy(column, direction)
    .orderBy('i.id', direction)
    .limit(filter.limit + 1)
    .execute()
}

/**
 * Pending invitations not reminded for at least `minQuietMs`, expired links included (their
 * reminder carries a fresh one: the person stays pending until the purge), locked for this
 * transaction (SKIP LOCKED: several gateway processes never remind the same invitation twice).
 */
export function lockRemindable(db: Db, now: Date, minQuietMs: number, limit: number) {
  const quietSince = new Date(now.getTime() - minQuietMs)
  return withPerson(db)
    .innerJoin('tenants as t', 't.id', 'i.tenant_id')
    .select(['t.settings as tenant_settings'])
    .where('i.status', '=', 'pending')
    .where('i.token_sealed', 'is not', null)
    .where((eb) => eb(eb.fn.coalesce('i.last_reminded_at', 'i.last_sent_at'), '<=', quietSince))
    .orderBy('i.last_sent_at')
    .limit(limit)
    .forUpdate('i')
    .skipLocked()
    .execute()
}

export async function markReminded(db: Db, tenantId: string, id: string, now: Date): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ last_reminded_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** Never-activated memberships of a tenant older than its retention (their invitations cascade). */
export function deleteStaleInvitedMemberships(db: Db, tenantId: string, createdBefore: Date) {
  return db
    .deleteFrom('memberships')
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'invited')
    .where('created_at', '<', createdBefore)
    .returning(['user_id', 'directory_id'])
    .execute()
}

/** Identities left with no membership and no password are gone with their last invitation (GDPR). */
export async function deleteOrphanUsers(
  db: Db,
  users: { user_id: string; directory_id: string }[],
): Promise<number> {
  if (users.length === 0) return 0
  const result = await db
    .deleteFrom('users')
    .where(
      'id',
      'in',
      users.map((u) => u.user_id),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('memberships as m').select('m.id').whereRef('m.user_id', '=', 'users.id'),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('credentials as c')
            .select('c.user_id')
            .whereRef('c.user_id', '=', 'users.id'),
        ),
      ),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
