import type { Db } from '../db/database.js'
import type { DirectoryKind } from '../db/schema.js'
import { listDirectories, type Tenant } from '../tenants/tenants.js'
import type { MemberRow } from './members.queries.js'

// A member as the admin API answers it: an explicit allowlist of fields.

type Row = Omit<MemberRow, 'sort_key' | 'sort_id'>

export type DirectoryNames = Map<string, { kind: DirectoryKind; name: string }>

export async function directoryNames(db: Db, tenant: Tenant): Promise<DirectoryNames> {
  const directories = await listDirectories(db, tenant.id)
  return new Map(directories.map((d) => [d.id, { kind: d.kind, name: d.name }]))
}

export function memberJson(row: Row, directories: DirectoryNames) {
  const directory = directories.get(row.directory_id)
  return {
    id: row.id,
    userId: row.user_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    name: [row.first_name, row.last_name].filter(Boolean).join(' ') || row.email,
    phone: row.phone,
    jobTitle: row.job_title,
    externalId: row.external_id,
    locale: row.locale,
    kind: row.kind,
    role: row.role,
    groups: row.groups,
    products: row.products,
    organization: row.organization,
    directory: {
      id: row.directory_id,
      kind: directory?.kind ?? null,
      name: directory?.name ?? null,
    },
    status: row.status,
    createdAt: row.created_at.toISOString(),
    activatedAt: row.activated_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
  }
}
export type MemberJson = ReturnType<typeof memberJson>
