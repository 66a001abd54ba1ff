import * as z from 'zod'
import type { Db, Tx } from '../db/database.js'
import { ORGANIZATION_KINDS } from '../db/schema.js'
import { AppError } from '../errors.js'
import { RoleName } from '../identity/roles.js'
import { parse } from '../lib/validate.js'
import { directoriesMapping, renameInGroupMappings } from '../sso/directories-admin.js'
import * as q from './catalogues.queries.js'

export { EVERYBODY } from './catalogues.queries.js'

// Groups, roles and organizations: catalogues per tenant that memberships and invitations pick
// from. Built-ins (Everybody, admin, user) are made lazily for tenants created after the
// migration that seeded them for the tenants of the day.

const Description = z.string().trim().max(500).nullable().optional()
export const GroupInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: Description,
})
export const GroupPatch = GroupInput.partial()
export const RoleInput = z.strictObject({ name: RoleName, description: Description })
export const RolePatch = RoleInput.partial()
export const OrganizationInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(ORGANIZATION_KINDS),
  externalId: z.string().trim().min(1).max(100).nullable().optional(),
})
export const OrganizationPatch = OrganizationInput.partial()

const notFound = (what: string) => new AppError('not_found', `There is no such ${what}.`)
const taken = (what: string, name: string) =>
  new AppError('conflict', `A ${what} named "${name}" exists already.`)
const builtin = (what: string, name: string) =>
  new AppError('conflict', `"${name}" is built in: this ${what} cannot be renamed or deleted.`)

async function withBuiltins<T>(db: Db, tenantId: string, list: () => Promise<T[]>) {
  const rows = await list()
  if (rows.length > 0) return rows
  await q.insertBuiltins(db, tenantId)
  return list()
}

const groupJson = (g: Awaited<ReturnType<typeof q.listGroups>>[number]) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  builtin: g.builtin,
  memberCount: Number(g.member_count ?? 0),
  createdAt: g.created_at.toISOString(),
  updatedAt: g.updated_at.toISOString(),
})
export type Group = ReturnType<typeof groupJson>

export async function listGroups(db: Db, tenantId: string): Promise<Group[]> {
  return (await withBuiltins(db, tenantId, () => q.listGroups(db, tenantId))).map(groupJson)
}

export async function getGroup(db: Db, tenantId: string, id: string): Promise<Group> {
  const group = (await listGroups(db, tenantId)).find((g) => g.id === id)
  if (!group) throw notFound('group')
  return group
}

export async function createGroup(tx: Tx, tenantId: string, input: unknown): Promise<Group> {
  const body = parse(GroupInput, input)
  await q.insertBuiltins(tx, tenantId)
  const row = await q.insertGroup(tx, {
    tenant_id: tenantId,
    name: body.name,
    description: body.description ?? null,
  })
  if (!row) throw taken('group', body.name)
  return getGroup(tx, tenantId, row.id)
}

/** Renaming a group renames it in every membership (and so in their next tokens). */
export async function updateGroup(tx: Tx, tenantId: string, id: string, input: unknown) {
  const patch = parse(GroupPatch, input)
  const group = await q.lockGroup(tx, tenantId, id)
  if (!group) throw notFound('group')
  if (patch.name !== undefined && patch.name !== group.name) {
    if (group.builtin) throw builtin('group', group.name)
    await q
      .updateGroup(tx, tenantId, id, { name: patch.name })
      .catch(uniqueAs(taken('group', patch.name)))
    await q.renameGroupInMemberships(tx, tenantId, group.name, patch.name)
    await renameInGroupMappings(tx, tenantId, 'group', group.name, patch.name)
  }
  if (patch.description !== undefined)
    await q.updateGroup(tx, tenantId, id, { description: patch.description })
  return getGroup(tx, tenantId, id)
}

/** Members leave a deleted group; Everybody is never deleted. */
export async function deleteGroup(tx: Tx, tenantId: string, id: string): Promise<void> {
  const group = await q.lockGroup(tx, tenantId, id)
  if (!group) throw notFound('group')
  if (group.builtin) throw builtin('group', group.name)
  await refuseIfMapped(tx, tenantId, 'group', group.name)
  await q.removeGroupFromMemberships(tx, tenantId, group.name)
  await q.deleteGroupRow(tx, tenantId, id)
}

const roleJson = (r: Awaited<ReturnType<typeof q.listRoles>>[number]) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  builtin: r.builtin,
  memberCount: Number(r.member_count ?? 0),
  createdAt: r.created_at.toISOString(),
})
export type Role = ReturnType<typeof roleJson>

export async function listRoles(db: Db, tenantId: string): Promise<Role[]> {
  return (await withBuiltins(db, tenantId, () => q.listRoles(db, tenantId))).map(roleJson)
}

async function getRole(db: Db, tenantId: string, id: string) {
  const role = (await listRoles(db, tenantId)).find((r) => r.id === id)
  if (!role) throw notFound('role')
  return role
}

export async function createRole(tx: Tx, tenantId: string, input: unknown): Promise<Role> {
  const body = parse(RoleInput, input)
  await q.insertBuiltins(tx, tenantId)
  const row = await q.insertRole(tx, {
    tenant_id: tenantId,
    name: body.name,
    description: body.description ?? null,
  })
  if (!row) throw taken('role', body.name)
  return getRole(tx, tenantId, row.id)
}

export async function updateRole(tx: Tx, tenantId: string, id: string, input: unknown) {
  const patch = parse(RolePatch, input)
  const role = await q.findRole(tx, tenantId, id)
  if (!role) throw notFound('role')
  if (patch.name !== undefined && patch.name !== role.name) {
    if (role.builtin) throw builtin('role', role.name)
    await q
      .updateRole(tx, tenantId, id, { name: patch.name })
      .catch(uniqueAs(taken('role', patch.name)))
    await q.renameInMemberships(tx, tenantId, 'role', role.name, patch.name)
    await renameInGroupMappings(tx, tenantId, 'role', role.name, patch.name)
  }
  if (patch.description !== undefined)
    await q.updateRole(tx, tenantId, id, { description: patch.description })
  return getRole(tx, tenantId, id)
}

/** A role still held is not deleted: its members would be left with a role nobody defines. */
export async function deleteRole(tx: Tx, tenantId: string, id: string): Promise<void> {
  const role = await q.findRole(tx, tenantId, id)
  if (!role) throw notFound('role')
  if (role.builtin) throw builtin('role', role.name)
  await refuseIfMapped(tx, tenantId, 'role', role.name)
  const held = await q.countMembershipsWith(tx, tenantId, 'role', role.name)
  if (held > 0)
    throw new AppError('conflict', `${held} member(s) have this role: give them another first.`, {
      details: { memberCount: held },
    })
  await q.deleteRoleRow(tx, tenantId, id)
}

/** A company directory's sign-ins give it: it goes from the group mapping first. */
async function refuseIfMapped(tx: Tx, tenantId: string, kind: 'role' | 'group', name: string) {
  const directories = await directoriesMapping(tx, tenantId, kind, name)
  if (directories.length)
    throw new AppError(
      'conflict',
      `The group mapping of ${directories.map((d) => `"${d}"`).join(', ')} gives this ${kind}: take it out of the mapping first.`,
      { details: { directories } },
    )
}

const organizationJson = (o: Awaited<ReturnType<typeof q.listOrganizations>>[number]) => ({
  id: o.id,
  name: o.name,
  kind: o.kind,
  externalId: o.external_id,
  createdAt: o.created_at.toISOString(),
  updatedAt: o.updated_at.toISOString(),
})
export type Organization = ReturnType<typeof organizationJson>

export async function listOrganizations(db: Db, tenantId: string, kind?: unknown) {
  const k = parse(z.enum(ORGANIZATION_KINDS).optional(), kind)
  return (await q.listOrganizations(db, tenantId, k)).map(organizationJson)
}

async function getOrganization(db: Db, tenantId: string, id: string) {
  const row = await q.findOrganization(db, tenantId, id)
  if (!row) throw notFound('organization')
  return organizationJson(row)
}

export async function createOrganization(tx: Tx, tenantId: string, input: unknown) {
  const body = parse(OrganizationInput, input)
  const row = await q.insertOrganization(tx, {
    tenant_id: tenantId,
    name: body.name,
    kind: body.kind,
    external_id: body.externalId ?? null,
  })
  if (!row) throw taken('organization', body.name)
  return organizationJson(row)
}

export async function updateOrganization(tx: Tx, tenantId: string, id: string, input: unknown) {
  const patch = parse(OrganizationPatch, input)
  const org = await q.findOrganization(tx, tenantId, id)
  if (!org) throw notFound('organization')
  if (patch.name !== undefined && patch.name !== org.name) {
    await q
      .updateOrganization(tx, tenantId, id, { name: patch.name })
      .catch(uniqueAs(taken('organization', patch.name)))
    await q.renameInMemberships(tx, tenantId, 'organization', org.name, patch.name)
  }
  await q.updateOrganization(tx, tenantId, id, {
    ...(patch.kind && { kind: patch.kind }),
    ...(patch.externalId !== undefined && { external_id: patch.externalId }),
  })
  return getOrganization(tx, tenantId, id)
}

export async function deleteOrganization(tx: Tx, tenantId: string, id: string) {
  const org = await q.findOrganization(tx, tenantId, id)
  if (!org) throw notFound('organization')
  const held = await q.countMembershipsWith(tx, tenantId, 'organization', org.name)
  if (held > 0)
    throw new AppError('conflict', `${held} member(s) belong to this organization.`, {
      details: { memberCount: held },
    })
  await q.deleteOrganizationRow(tx, tenantId, id)
}

export const listProducts = q.listProducts

// A unique violation (23505) inside a transaction aborts it; the caller's 409 ends it anyway.
const uniqueAs = (error: AppError) => (err: unknown) => {
  if ((err as { code?: string }).code === '23505') throw error
  throw err
}
