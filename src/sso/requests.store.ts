import { sql } from 'kysely'
import type { Db } from '../db/database.js'

export type { SsoStart } from './connection.js'

// Sign-ins in flight at an IdP, and the SAML assertions already used: both in the database, so
// several gateway processes agree (DESIGN.md, Scale), and both consumed atomically.

export async function saveSsoRequest(
  db: Db,
  row: {
    id: string
    tenantId: string
    directoryId: string
    data: Record<string, unknown>
    expiresAt: Date
  },
): Promise<void> {
  await db
    .insertInto('sso_requests')
    .values({
      id: row.id,
      tenant_id: row.tenantId,
      directory_id: row.directoryId,
      data: JSON.stringify(row.data),
      expires_at: row.expiresAt,
    })
    .execute()
}

/**
 * The request, deleted in the same statement: of two concurrent consumers one gets it, the other
 * nothing. Unknown, expired, used and another directory's requests are all `undefined`.
 */
export async function consumeSsoRequest(
  db: Db,
  input: { id: string; tenantId: string; directoryId: string },
  now = new Date(),
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .deleteFrom('sso_requests')
    .where('id', '=', input.id)
    .where('tenant_id', '=', input.tenantId)
    .where('directory_id', '=', input.directoryId)
    .where('expires_at', '>', now)
    .returning('data')
    .executeTakeFirst()
  return row?.data
}

type Assertion = { directoryId: string; assertionId: string; expiresAt: Date }
type Ticket = { id: string; data: Record<string, unknown>; expiresAt: Date }

/**
 * The ACS of an SP-initiated sign-in in one statement (every sign-in pays each round trip):
 * the AuthnRequest `requestId` read; if it is live and was made for this ACS, the assertion ID
 * recorded until it expires (the primary key decides, so two processes racing with one
 * assertion agree); if that assertion is fresh, the request row becomes the ticket in place
 * (new id, `ticket.data` merged into its data, made now, the ticket's expiry). The update is as guarded
 * as a delete: of concurrent statements one finds the row under its request id and the others
 * nothing (PostgreSQL re-checks `id` once the row lock is theirs), so a request stays single
 * use. `request`: what was stored (undefined: unknown, expired or another directory's);
 * `fresh`: the assertion was not seen before; `issued`: this statement made the ticket.
 */
export async function redeemSsoRequest(
  db: Db,
  input: { requestId: string; tenantId: string; acsUrl: string; now: Date },
  assertion: Assertion,
  ticket: Ticket,
): Promise<{ request: Record<string, unknown> | undefined; fresh: boolean; issued: boolean }> {
  const { requestId, tenantId, acsUrl, now } = input
  const { directoryId } = assertion
  const { rows } = await sql<{
    request: Record<string, unknown> | null
    fresh: boolean
    issued: boolean
  }>`
    with request as (
      select data from sso_requests
      where id = ${requestId} and tenant_id = ${tenantId} and directory_id = ${directoryId}
        and expires_at > ${now}
    ), replay as (
      insert into sso_replays (directory_id, assertion_id, expires_at)
      select ${directoryId}::uuid, ${assertion.assertionId}::text, ${assertion.expiresAt}::timestamptz
      from request where data->>'acsUrl' = ${acsUrl}
      on conflict (directory_id, assertion_id) do nothing
      returning assertion_id
    ), ticket as (
      update sso_requests
      set id = ${ticket.id}, data = data || ${JSON.stringify(ticket.data)}::jsonb,
        created_at = ${now}, expires_at = ${ticket.expiresAt}
      where id = ${requestId} and tenant_id = ${tenantId} and directory_id = ${directoryId}
        and expires_at > ${now} and exists (select 1 from replay)
      returning id
    )
    select (select data from request) as request, exists (select 1 from replay) as fresh,
      exists (select 1 from ticket) as issued
  `.execute(db)
  const row = rows[0]
  return { request: row?.request ?? undefined, fresh: !!row?.fresh, issued: !!row?.issued }
}

/**
 * An IdP-initiated sign-in's assertion recorded and its ticket kept, in one statement; `false`
 * (and no ticket) when the directory has seen the assertion already.
 */
export async function recordAssertionWithTicket(
  db: Db,
  input: { tenantId: string },
  assertion: Assertion,
  ticket: Ticket,
): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    with replay as (
      insert into sso_replays (directory_id, assertion_id, expires_at)
      values (${assertion.directoryId}, ${assertion.assertionId}, ${assertion.expiresAt})
      on conflict (directory_id, assertion_id) do nothing
      returning assertion_id
    )
    insert into sso_requests (id, tenant_id, directory_id, data, expires_at)
    select ${ticket.id}::text, ${input.tenantId}::uuid, ${assertion.directoryId}::uuid,
      ${JSON.stringify(ticket.data)}::jsonb, ${ticket.expiresAt}::timestamptz
    where exists (select 1 from replay)
    returning id
  `.execute(db)
  return rows.length > 0
}

/** Cleanup: requests never answered and assertion IDs past their NotOnOrAfter. */
export async function deleteExpiredSso(db: Db, now = new Date()): Promise<number> {
  const requests = await db
    .deleteFrom('sso_requests')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  const replays = await db
    .deleteFrom('sso_replays')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  return Number(requests.numDeletedRows) + Number(replays.numDeletedRows)
}
