import { type Insertable, type Selectable, sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { AccessRequestStatus, AccessRequestsTable } from '../db/schema.js'

export type AccessRequest = Selectable<AccessRequestsTable>
type NewRequest = Insertable<AccessRequestsTable> & { tenant_id: string; email_key: string }

/**
 * A new pending request, or the person's pending one brought up to date: the partial unique
 * index (one pending per tenant and address) turns a repeat, even a concurrent one, into an update.
 */
export function upsertPendingRequest(db: Db, row: NewRequest, now: Date): Promise<AccessRequest> {
  return db
    .insertInto('access_requests')
    .values({ ...row, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'email_key']).where('status', '=', 'pending').doUpdateSet({
        email: row.email,
        name: row.name,
        message: row.message,
        locale: row.locale,
        updated_at: now,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function findRequest(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('access_requests')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/** Newest first; `after` is the last row of the previous page (created_at as text, id). */
export function listRequests(
  db: Db,
  input: {
    tenantId: string
    status?: AccessRequestStatus | undefined
    after?: { at: string; id: string } | undefined
    limit: number
  },
) {
  let query = db
    .selectFrom('access_requests')
    .selectAll()
    .select(sql<string>`created_at::text`.as('created_at_text'))
    .where('tenant_id', '=', input.tenantId)
  if (input.status) query = query.where('status', '=', input.status)
  if (input.after) {
    const { at, id } = input.after
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', sql<Date>`${at}::timestamptz`),
        eb.and([eb('created_at', '=', sql<Date>`${at}::timestamptz`), eb('id', '<', id)]),
      ]),
    )
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit).execute()
}

/**
 * The single-use decision: pending becomes approved or denied in one guarded UPDATE, so of two
 * racing decisions exactly one gets the row back.
 */
export function decideRequest(
  db: Db,
  input: { tenantId: string; id: string; status: 'approved' | 'denied'; by: string; now: Date },
) {
  return db
    .updateTable('access_requests')
    .set({
      status: input.status,
      decided_at: input.now,
      decided_by: input.by,
      updated_at: input.now,
    })
    .where('tenant_id', '=', input.tenantId)
    .where('id', '=', input.id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst()
}

export async function setInvitation(db: Db, tenantId: string, id: string, invitationId: string) {
  await db
    .updateTable('access_requests')
    .set({ invitation_id: invitationId })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** The tenant's admins (active members with the role admin) who did not unsubscribe. */
export function listSubscribedAdmins(db: Db, tenantId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .select(['m.id as membership_id', 'u.email', 'u.first_name', 'u.last_name', 'u.locale'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.status', '=', 'active')
    .where('m.kind', '=', 'member')
    .where('m.role', '=', 'admin')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('access_request_unsubscribes as x')
            .select('x.membership_id')
            .where('x.tenant_id', '=', tenantId)
            .whereRef('x.membership_id', '=', 'm.id'),
        ),
      ),
    )
    .orderBy('m.id')
    .execute()
}

/** Claims today's notice of one admin about one requester: false when already sent today. */
export async function claimNotice(
  db: Db,
  row: { tenantId: string; membershipId: string; emailKey: string; day: string },
): Promise<boolean> {
  const inserted = await db
    .insertInto('access_request_notices')
    .values({
      tenant_id: row.tenantId,
      membership_id: row.membershipId,
      email_key: row.emailKey,
      day: row.day,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'membership_id', 'email_key', 'day']).doNothing())
    .returning('membership_id')
    .executeTakeFirst()
  return inserted !== undefined
}

/** Notices of earlier days are no use for "once a day": kept a week, for support, then gone. */
export async function deleteOldNotices(db: Db, tenantId: string, before: string) {
  await db
    .deleteFrom('access_request_notices')
    .where('tenant_id', '=', tenantId)
    .where('day', '<', before)
    .execute()
}

export function findAdminMembership(db: Db, tenantId: string, membershipId: string) {
  return db
    .selectFrom('memberships')
    .select(['id', 'role', 'kind', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', membershipId)
    .executeTakeFirst()
}

export async function isUnsubscribed(db: Db, tenantId: string, membershipId: string) {
  const row = await db
    .selectFrom('access_request_unsubscribes')
    .select('membership_id')
    .where('tenant_id', '=', tenantId)
    .where('membership_id', '=', membershipId)
    .executeTakeFirst()
  return row !== undefined
}

export async function unsubscribe(db: Db, tenantId: string, membershipId: string) {
  await db
    .insertInto('access_request_unsubscribes')
    .values({ tenant_id: tenantId, membership_id: membershipId })
    .onConflict((oc) => oc.columns(['tenant_id', 'membership_id']).doNothing())
    .execute()
}

export async function resubscribe(db: Db, tenantId: string, membershipId: string) {
  await db
    .deleteFrom('access_request_unsubscribes')
    .where('tenant_id', '=', tenantId)
    .where('membership_id', '=', membershipId)
    .execute()
}
