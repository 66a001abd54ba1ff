import { type Selectable, sql } from 'kysely'
import type { Db, Tx } from '../db/database.js'
import type { TermsVersionsTable } from '../db/schema.js'

export type TermsVersion = Selectable<TermsVersionsTable>

export function findCurrentTerms(db: Db, tenantId: string): Promise<TermsVersion | undefined> {
  return db
    .selectFrom('terms_versions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export async function insertNextTerms(
  db: Db,
  row: { tenantId: string; title: string; body: string | null; documentUrl: string | null },
) {
  const current = await findCurrentTerms(db, row.tenantId)
  return db
    .insertInto('terms_versions')
    .values({
      tenant_id: row.tenantId,
      version: (current?.version ?? 0) + 1,
      title: row.title,
      body: row.body,
      document_url: row.documentUrl,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function hasAccepted(
  db: Db,
  tenantId: string,
  membershipId: string,
  version: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('terms_acceptances')
    .select('version')
    .where('tenant_id', '=', tenantId)
    .where('membership_id', '=', membershipId)
    .where('version', '=', version)
    .executeTakeFirst()
  return row !== undefined
}

export async function insertAcceptance(
  db: Db,
  tenantId: string,
  membershipId: string,
  version: number,
  now: Date,
): Promise<void> {
  await db
    .insertInto('terms_acceptances')
    .values({ tenant_id: tenantId, membership_id: membershipId, version, accepted_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** Two publications at once must not both take the same version number: the lock lasts until the Tx ends. */
export async function lockTermsOf(tx: Tx, tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`terms:${tenantId}`}))`.execute(tx)
}

/** Every published version, newest first, with how many members accepted each. */
export function listTermsVersionsWithAcceptances(db: Db, tenantId: string) {
  return db
    .selectFrom('terms_versions as v')
    .leftJoin('terms_acceptances as a', (join) =>
      join.onRef('a.tenant_id', '=', 'v.tenant_id').onRef('a.version', '=', 'v.version'),
    )
    .select(['v.version', 'v.title', 'v.document_url', 'v.published_at'])
    .select((eb) => eb.fn.count<string>('a.membership_id').as('acceptances'))
    .where('v.tenant_id', '=', tenantId)
    .groupBy(['v.version', 'v.title', 'v.document_url', 'v.published_at'])
    .orderBy('v.version', 'desc')
    .execute()
}

/** Whether the tenant published this version (another tenant's versions are not its own). */
export function findTermsVersion(db: Db, tenantId: string, version: number) {
  return db
    .selectFrom('terms_versions')
    .select(['version', 'title'])
    .where('tenant_id', '=', tenantId)
    .where('version', '=', version)
    .executeTakeFirst()
}

/**
 * Who accepted a version of the tenant's Terms, newest acceptance first, keyset-paged by
 * (accepted_at, membership_id): `before` is the last row of the previous page.
 */
export function listTermsAcceptances(
  db: Db,
  tenantId: string,
  input: { version: number; before?: { atKey: string; id: string }; limit: number },
) {
  let q = db
    .selectFrom('terms_acceptances as a')
    .innerJoin('memberships as m', (join) =>
      join.onRef('m.id', '=', 'a.membership_id').onRef('m.tenant_id', '=', 'a.tenant_id'),
    )
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'a.membership_id',
      'a.accepted_at',
      // The cursor keeps accepted_at to the microsecond (a JS Date would round it).
      sql<string>`a.accepted_at::text`.as('at_key'),
      'u.email',
      'u.first_name',
      'u.last_name',
    ])
    .where('a.tenant_id', '=', tenantId)
    .where('a.version', '=', input.version)
  if (input.before) {
    const { atKey, id } = input.before
    q = q.where(
      sql<boolean>`(a.accepted_at, a.membership_id) < (${atKey}::timestamptz, ${id}::uuid)`,
    )
  }
  return q
    .orderBy('a.accepted_at', 'desc')
    .orderBy('a.membership_id', 'desc')
    .limit(input.limit)
    .execute()
}
