import type { ColumnType, Generated } from 'kysely'

// Written by hand, changed in the same commit as its migration (CONVENTIONS.md § Database).
type CreatedAt = ColumnType<Date, never, never>
type UpdatedAt = ColumnType<Date, never, Date>

export const DIRECTORY_KINDS = ['database', 'saml', 'oidc'] as const
export type DirectoryKind = (typeof DIRECTORY_KINDS)[number]

export interface TenantsTable {
  id: Generated<string>
  slug: string
  name: string
  // Read as unknown on purpose: tenants.queries.ts validates it before anyone uses it.
  settings: ColumnType<unknown, string, string>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface TenantHostsTable {
  host: string
  tenant_id: string
  is_primary: boolean
  created_at: CreatedAt
}

export interface DirectoriesTable {
  id: Generated<string>
  kind: DirectoryKind
  name: string
  created_at: CreatedAt
}

export interface TenantDirectoriesTable {
  tenant_id: string
  directory_id: string
  created_at: CreatedAt
}

export interface Database {
  tenants: TenantsTable
  tenant_hosts: TenantHostsTable
  directories: DirectoriesTable
  tenant_directories: TenantDirectoriesTable
}
