import { type Selectable, sql } from 'kysely'
import type { Db } from '../db/database.js'
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

/** Two publications at once must not both take the same version number. */
export async function lockTermsOf(db: Db, tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`terms:${tenantId}`}))`.execute(db)
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
