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

/**
 * Records an assertion ID until it expires; `false` when the directory has seen it already
 * (a replay). The primary key decides, so two processes racing with one assertion agree.
 */
export async function recordAssertion(
  db: Db,
  input: { directoryId: string; assertionId: string; expiresAt: Date },
): Promise<boolean> {
  const inserted = await db
    .insertInto('sso_replays')
    .values({
      directory_id: input.directoryId,
      assertion_id: input.assertionId,
      expires_at: input.expiresAt,
    })
    .onConflict((oc) => oc.columns(['directory_id', 'assertion_id']).doNothing())
    .returning('assertion_id')
    .executeTakeFirst()
  return inserted !== undefined
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
