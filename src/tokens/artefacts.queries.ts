import { type Expression, type SqlBool, sql } from 'kysely'
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

const live = (alias: 't' | 'g' | 's', now: Date) =>
  sql<SqlBool>`(${sql.ref(`${alias}.expires_at`)} is null or ${sql.ref(`${alias}.expires_at`)} > ${now})`

/**
 * A code's or refresh token's live record with the live grant it came from and the live session
 * it is bound to (if any), in one statement: the provider reads the three one after the other.
 */
export function findWithGrantAndSession(
  db: Db,
  key: { tenantId: string; model: string; id: string },
  now: Date,
) {
  return db
    .selectFrom('oidc_artefacts as t')
    .leftJoin('oidc_artefacts as g', (j) =>
      j
        .onRef('g.tenant_id', '=', 't.tenant_id')
        .on('g.model', '=', 'Grant')
        .onRef('g.id', '=', 't.grant_id')
        .on(live('g', now) as Expression<SqlBool>),
    )
    .leftJoin('oidc_artefacts as s', (j) =>
      j
        .onRef('s.tenant_id', '=', 't.tenant_id')
        .on('s.model', '=', 'Session')
        .on('s.uid', '=', sql<string>`t.payload->>'sessionUid'`)
        .on(live('s', now) as Expression<SqlBool>),
    )
    .select([
      't.payload',
      't.consumed_at',
      't.grant_id',
      'g.payload as grant_payload',
      'g.consumed_at as grant_consumed_at',
      sql<string | null>`t.payload->>'sessionUid'`.as('session_uid'),
      's.payload as session_payload',
      's.consumed_at as session_consumed_at',
    ])
    .where('t.tenant_id', '=', key.tenantId)
    .where('t.model', '=', key.model)
    .where('t.id', '=', key.id)
    .where(live('t', now))
    .executeTakeFirst()
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
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${r.tenant_id}::uuid, ${r.model}::text, ${r.id}::text, ${r.payload}::jsonb, ${r.grant_id}::text, ${r.uid}::text, ${r.user_code}::text, ${r.expires_at}::timestamptz)`,
    ),
  )
  const { rows: outcome } = await sql<{ consumed: number; allowed: number }>`
    with consumed as (
      update oidc_artefacts set consumed_at = ${now}
       where tenant_id = ${consumed.tenantId} and model = ${consumed.model}
         and id = ${consumed.id} and consumed_at is null
      returning grant_id
    ), allowed as (
      select 1 from consumed c
       where c.grant_id is null or exists (
         select 1 from oidc_artefacts g
          where g.tenant_id = ${consumed.tenantId} and g.model = 'Grant' and g.id = c.grant_id)
    ), written as (
      insert into oidc_artefacts (tenant_id, model, id, payload, grant_id, uid, user_code, expires_at)
      select * from (values ${values})
          as v (tenant_id, model, id, payload, grant_id, uid, user_code, expires_at)
       where exists (select 1 from allowed)
      on conflict (tenant_id, model, id) do update set payload = excluded.payload,
        grant_id = excluded.grant_id, uid = excluded.uid, user_code = excluded.user_code,
        expires_at = excluded.expires_at
      returning 1
    )
    select (select count(*) from consumed)::int as consumed,
           (select count(*) from allowed)::int as allowed`.execute(db)
  const [row] = outcome
  return { consumed: (row?.consumed ?? 0) > 0, written: (row?.allowed ?? 0) > 0 }
}
