import type { Db } from '../db/database.js'

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
