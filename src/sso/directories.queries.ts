import { sql } from 'kysely'
import type { Db, Tx } from '../db/database.js'

/** An enterprise directory the tenant uses, with the tenant's host bound to it (if any). */
export type DirectoryRow = {
  id: string
  kind: 'saml' | 'oidc'
  name: string
  config: unknown
  secret_sealed: Uint8Array | null
  created_at: Date
  updated_at: Date
  host: string | null
}

function directoriesOf(db: Db, tenantId: string) {
  return db
    .selectFrom('tenant_directories as td')
    .innerJoin('directories as d', 'd.id', 'td.directory_id')
    .leftJoin('tenant_hosts as h', (j) =>
      j.onRef('h.directory_id', '=', 'd.id').onRef('h.tenant_id', '=', 'td.tenant_id'),
    )
    .select([
      'd.id',
      'd.kind',
      'd.name',
      'd.config',
      'd.secret_sealed',
      'd.created_at',
      'd.updated_at',
      'h.host',
    ])
    .where('td.tenant_id', '=', tenantId)
    .where('d.kind', 'in', ['saml', 'oidc'])
}

export async function findDirectoryRow(
  db: Db,
  tenantId: string,
  directoryId: string,
): Promise<DirectoryRow | undefined> {
  const row = await directoriesOf(db, tenantId).where('d.id', '=', directoryId).executeTakeFirst()
  return row as DirectoryRow | undefined
}

export async function listDirectoryRows(db: Db, tenantId: string): Promise<DirectoryRow[]> {
  const rows = await directoriesOf(db, tenantId).orderBy('d.created_at').execute()
  return rows as DirectoryRow[]
}

/** The directory, linked to the tenant, and its host (a new host of the tenant) bound to it. */
export async function insertDirectoryRow(
  db: Db,
  input: {
    tenantId: string
    kind: 'saml' | 'oidc'
    name: string
    config: unknown
    secretSealed: Uint8Array | null
    host: string | undefined
  },
): Promise<string> {
  const { id } = await db
    .insertInto('directories')
    .values({
      kind: input.kind,
      name: input.name,
      config: JSON.stringify(input.config),
      secret_sealed: input.secretSealed,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await db
    .insertInto('tenant_directories')
    .values({ tenant_id: input.tenantId, directory_id: id })
    .execute()
  if (input.host)
    await db
      .insertInto('tenant_hosts')
      .values({ host: input.host, tenant_id: input.tenantId, is_primary: false, directory_id: id })
      .execute()
  return id
}

/**
 * Serialises changes to one tenant's directories (email domains are unique among them): the
 * lock lasts until the Tx ends.
 */
export async function lockTenantDirectories(tx: Tx, tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`directories:${tenantId}`}, 0))`.execute(
    tx,
  )
}

/** Name, connection or sealed secret of the tenant's directory `id` (undefined fields stay). */
export async function updateDirectoryRow(
  db: Db,
  tenantId: string,
  id: string,
  change: { name?: string; config?: unknown; secretSealed?: Uint8Array },
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('directories')
    .set({
      updated_at: now,
      ...(change.name !== undefined && { name: change.name }),
      ...(change.config !== undefined && { config: JSON.stringify(change.config) }),
      ...(change.secretSealed !== undefined && { secret_sealed: change.secretSealed }),
    })
    .where('id', '=', id)
    .where('kind', 'in', ['saml', 'oidc'])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('tenant_directories')
          .select('directory_id')
          .where('tenant_id', '=', tenantId)
          .where('directory_id', '=', id),
      ),
    )
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * The tenant's enterprise directory `id`, its identities (keyed by the IdP's subject, they exist
 * only through it) and so their memberships, sessions and invitations, its link to the tenant
 * (hosts still bound go with it) and what hangs on it (sign-ins in flight, replays, SP keys,
 * notices). Run it in a transaction: the statements stand or fall together.
 */
export async function deleteDirectoryRows(db: Db, tenantId: string, id: string): Promise<boolean> {
  const row = await findDirectoryRow(db, tenantId, id)
  if (!row) return false
  // Memberships reference the tenant's link to the directory: its users go first.
  await db.deleteFrom('users').where('directory_id', '=', id).execute()
  await db
    .deleteFrom('tenant_directories')
    .where('tenant_id', '=', tenantId)
    .where('directory_id', '=', id)
    .execute()
  const result = await db
    .deleteFrom('directories')
    .where('id', '=', id)
    .where('kind', 'in', ['saml', 'oidc'])
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

/**
 * Claims the SAML directories whose metadata URL is due for a refresh: last read before
 * `dueBefore` and not tried since `retryBefore`. The claim stamps the attempt in the same
 * statement, and rows another process is claiming are skipped, so each is fetched once.
 */
export async function claimMetadataRefresh(
  db: Db,
  input: { now: Date; dueBefore: Date; retryBefore: Date; limit: number },
): Promise<{ id: string; config: unknown }[]> {
  const attempt = JSON.stringify({ attemptedAt: input.now.toISOString() })
  // Checked again on the row the UPDATE locks (READ COMMITTED re-reads it after a wait): a row
  // another process claimed meanwhile is no longer due.
  return db
    .updateTable('directories')
    .set({
      config: sql<string>`jsonb_set(config, '{metadataRefresh}', coalesce(config->'metadataRefresh', '{}'::jsonb) || ${attempt}::jsonb)`,
    })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('directories')
        .select('id')
        .where('kind', '=', 'saml')
        .where(sql<string>`config->>'metadataUrl'`, 'is not', null)
        .where(fetchedAt, '<', input.dueBefore)
        .where(attemptedAt, '<', input.retryBefore)
        .orderBy('id')
        .limit(input.limit)
        .forUpdate()
        .skipLocked(),
    )
    .where(fetchedAt, '<', input.dueBefore)
    .where(attemptedAt, '<', input.retryBefore)
    .returning(['id', 'config'])
    .execute()
}

const fetchedAt = sql<Date>`coalesce((config->'idp'->>'fetchedAt')::timestamptz, '-infinity')`
const attemptedAt = sql<Date>`coalesce((config->'metadataRefresh'->>'attemptedAt')::timestamptz, '-infinity')`

/**
 * What a refresh found: the new IdP description (success) or the error (the last good one
 * stays). Written only while the directory still reads the same URL: an admin who changed it
 * meanwhile wins.
 */
export async function recordMetadataRefresh(
  db: Db,
  input: { id: string; metadataUrl: string; idp?: unknown; error?: string; now: Date },
): Promise<void> {
  const state = JSON.stringify({
    attemptedAt: input.now.toISOString(),
    ...(input.error ? { error: input.error } : { succeededAt: input.now.toISOString() }),
  })
  const config = input.idp
    ? sql<string>`jsonb_set(jsonb_set(config, '{idp}', ${JSON.stringify(input.idp)}::jsonb), '{metadataRefresh}', ${state}::jsonb)`
    : sql<string>`jsonb_set(config, '{metadataRefresh}', ${state}::jsonb)`
  await db
    .updateTable('directories')
    .set({ config, ...(input.idp ? { updated_at: input.now } : {}) })
    .where('id', '=', input.id)
    .where('kind', '=', 'saml')
    .where(sql<string>`config->>'metadataUrl'`, '=', input.metadataUrl)
    .execute()
}
