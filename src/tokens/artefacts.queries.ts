import { sql } from 'kysely'
import type { Db } from '../db/database.js'

/** A row of oidc_artefacts as the adapter writes it. */
export type ArtefactRow = {
  tenant_id: string
  model: string
  id: string
  payload: string
  grant_id: string | null
  uid: string | null
  user_code: string | null
  expires_at: Date | null
}

type SourceRow = {
  payload: unknown
  consumed_at: Date | null
  grant_id: string | null
  grant_payload: unknown
  grant_consumed_at: Date | null
  session_uid: string | null
  session_payload: unknown
  session_consumed_at: Date | null
}

/**
 * A code's or refresh token's live record with the live grant it came from and the live session
 * it is bound to (if any), in one statement: the provider reads the three one after the other.
 * The statement is the function grant_source_read (migration 20261202_2000: its plan is kept).
 */
export async function findWithGrantAndSession(
  db: Db,
  key: { tenantId: string; model: string; id: string },
  now: Date,
): Promise<SourceRow | undefined> {
  const { rows } = await sql<SourceRow>`
    select payload, consumed_at, grant_id, grant_payload, grant_consumed_at,
           session_uid, session_payload, session_consumed_at
      from grant_source_read(${key.tenantId}, ${key.model}, ${key.id}, ${now})`.execute(db)
  return rows[0]
}

export async function upsertArtefacts(db: Db, rows: ArtefactRow[]): Promise<void> {
  await db
    .insertInto('oidc_artefacts')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'model', 'id']).doUpdateSet((eb) => ({
        payload: eb.ref('excluded.payload'),
        grant_id: eb.ref('excluded.grant_id'),
        uid: eb.ref('excluded.uid'),
        user_code: eb.ref('excluded.user_code'),
        expires_at: eb.ref('excluded.expires_at'),
      })),
    )
    .execute()
}

/**
 * Consumes a code or refresh token and writes what its grant issued, in one statement and only
 * together: the rows are written only if this statement consumed it (no concurrent request did)
 * and its grant still exists (no replay revoked it meanwhile).
 */
export async function consumeAndWrite(
  db: Db,
  consumed: { tenantId: string; model: string; id: string },
  rows: ArtefactRow[],
  now: Date,
): Promise<{ consumed: boolean; written: boolean }> {
  // A JSON array of the rows, each payload spliced in as the JSON it already is (not parsed
  // only to be written out again, nor quoted as text inside JSON).
  const values = `[${rows
    .map(({ payload, ...row }) => `{"payload":${payload},${JSON.stringify(row).slice(1)}`)
    .join(',')}]`
  const { rows: outcome } = await sql<{ consumed: number; allowed: number }>`
    select consumed, allowed from grant_consume_write(${consumed.tenantId}, ${consumed.model},
      ${consumed.id}, ${now}, ${values}::jsonb)`.execute(db)
  const [row] = outcome
  return { consumed: (row?.consumed ?? 0) > 0, written: (row?.allowed ?? 0) > 0 }
}
