import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { OrganizationKind } from '../db/schema.js'

// The tenant's groups, roles and organizations, and the memberships that name them. Every
// statement carries tenant_id. Memberships name catalogue entries by name (tokens carry names),
// so a rename is written through to them in the caller's transaction.

export const EVERYBODY = 'Everybody'
export const BUILTIN_ROLES = ['admin', 'user'] as const

/** Everybody, admin and user, for a tenant made after the migration that seeds them. */
export async function insertBuiltins(db: Db, tenantId: string): Promise<void> {
  await db
    .insertInto('member_groups')
    .values({ tenant_id: tenantId, name: EVERYBODY, builtin: true })
    .onConflict((oc) => oc.doNothing())
    .execute()
  await db
    .insertInto('member_roles')
    .values(BUILTIN_ROLES.map((name) => ({ tenant_id: tenantId, name, builtin: true })))
    .onConflict((oc) => oc.doNothing())
    .execute()
}

export const listGroups = (db: Db, tenantId: string) =>
  db
    .selectFrom('member_groups as g')
    .selectAll('g')
    .select((eb) =>
      eb
        .selectFrom('memberships as m')
        .select(eb.fn.countAll<number>().as('n'))
        .where('m.tenant_id', '=', tenantId)
        .where(sql<boolean>`m.groups @> jsonb_build_array(g.name)`)
        .as('member_count'),
    )
    .where('g.tenant_id', '=', tenantId)
    .orderBy('g.builtin', 'desc')
    .orderBy(sql`lower(g.name)`)
    .execute()

export const findGroup = (db: Db, tenantId: string, id: string) =>
  db
    .selectFrom('member_groups')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()

export const insertGroup = (
  db: Db,
  row: { tenant_id: string; name: string; description: string | null },
) =>
  db
    .insertInto('member_groups')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst()

/** The group, locked for the change; undefined when absent. */
export const lockGroup = (db: Db, tenantId: string, id: string) =>
  db
    .selectFrom('member_groups')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()

export async function updateGroup(
  db: Db,
  tenantId: string,
  id: string,
  patch: { name?: string; description?: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('member_groups')
    .set({ ...patch, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function deleteGroupRow(db: Db, tenantId: string, id: string): Promise<void> {
  await db
    .deleteFrom('member_groups')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** Renames a group in every membership of the tenant that names it (the GIN index finds them). */
export async function renameGroupInMemberships(db: Db, tenantId: string, from: string, to: string) {
  await db
    .updateTable('memberships')
    .set({
      groups: sql`(select coalesce(jsonb_agg(case when g = ${from} then ${to} else g end), '[]'::jsonb)
        from jsonb_array_elements_text(groups) g)`,
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`groups @> jsonb_build_array(${from}::text)`)
    .execute()
}

export async function removeGroupFromMemberships(db: Db, tenantId: string, name: string) {
  await db
    .updateTable('memberships')
    .set({ groups: sql`groups - ${name}::text`, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`groups @> jsonb_build_array(${name}::text)`)
    .execute()
}

export const listRoles = (db: Db, tenantId: string) =>
  db
    .selectFrom('member_roles as r')
    .selectAll('r')
    .select((eb) =>
      eb
        .selectFrom('memberships as m')
        .select(eb.fn.countAll<number>().as('n'))
        .where('m.tenant_id', '=', tenantId)
        .whereRef('m.role', '=', 'r.name')
        .as('member_count'),
    )
    .where('r.tenant_id', '=', tenantId)
    .orderBy('r.builtin', 'desc')
    .orderBy('r.name')
    .execute()

export const findRole = (db: Db, tenantId: string, id: string) =>
  db
    .selectFrom('member_roles')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()

export const insertRole = (
  db: Db,
  row: { tenant_id: string; name: string; description: string | null },
) =>
  db
    .insertInto('member_roles')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst()

export async function updateRole(
  db: Db,
  tenantId: string,
  id: string,
  patch: { name?: string; description?: string | null },
) {
  await db
    .updateTable('member_roles')
    .set({ ...patch, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

export async function deleteRoleRow(db: Db, tenantId: string, id: string) {
  await db
    .deleteFrom('member_roles')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

export async function renameInMemberships(
  db: Db,
  tenantId: string,
  column: 'role' | 'organization',
  from: string,
  to: string,
) {
  await db
    .updateTable('memberships')
    .set({ [column]: to, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where(column, '=', from)
    .execute()
}

export async function countMembershipsWith(
  db: Db,
  tenantId: string,
  column: 'role' | 'organization',
  value: string,
): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where(column, '=', value)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export const listOrganizations = (db: Db, tenantId: string, kind?: OrganizationKind) => {
  let query = db
    .selectFrom('organizations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy(sql`lower(name)`)
  if (kind) query = query.where('kind', '=', kind)
  return query.execute()
}

export const findOrganization = (db: Db, tenantId: string, id: string) =>
  db
    .selectFrom('organizations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()

export const insertOrganization = (
  db: Db,
  row: { tenant_id: string; name: string; kind: OrganizationKind; external_id: string | null },
) =>
  db
    .insertInto('organizations')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst()

export async function updateOrganization(
  db: Db,
  tenantId: string,
  id: string,
  patch: { name?: string; kind?: OrganizationKind; external_id?: string | null },
) {
  await db
    .updateTable('organizations')
    .set({ ...patch, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

export async function deleteOrganizationRow(db: Db, tenantId: string, id: string) {
  await db
    .deleteFrom('organizations')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

/** The products the tenant's apps declare; an app without one is its own (its client id). */
export async function listProducts(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('apps')
    .select(sql<string>`coalesce(product, client_id)`.as('product'))
    .where('tenant_id', '=', tenantId)
    .where('type', '!=', 'machine')
    .distinct()
    .execute()
  return rows.map((r) => r.product).sort()
}

/** The names the catalogues hold, for checking a grant in one round of queries. */
export async function catalogueNames(db: Db, tenantId: string) {
  // One after the other: on a transaction's single connection they would queue anyway.
  const groups = await db
    .selectFrom('member_groups')
    .select('name')
    .where('tenant_id', '=', tenantId)
    .execute()
  const roles = await db
    .selectFrom('member_roles')
    .select('name')
    .where('tenant_id', '=', tenantId)
    .execute()
  const organizations = await db
    .selectFrom('organizations')
    .select('name')
    .where('tenant_id', '=', tenantId)
    .execute()
  const products = await listProducts(db, tenantId)
  return {
    groups: groups.map((g) => g.name),
    roles: roles.map((r) => r.name),
    organizations: organizations.map((o) => o.name),
    products,
  }
}
