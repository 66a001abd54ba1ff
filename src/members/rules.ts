import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import type { MemberRules } from '../tenants/settings.js'
import { catalogueNames, EVERYBODY, insertBuiltins } from './catalogues.queries.js'

// What a membership may name: entries of the tenant's catalogues (groups, roles, organizations,
// the products its apps declare), under the tenant's rules (seed 003). Invitations and member
// edits both come here, so neither can write a name nobody defined.

export type Grant = {
  role: string
  groups: string[]
  products: string[]
  organization: string | null
}

export type GrantCheck = { ok: true; grant: Grant } | { ok: false; reason: string; field: string }

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ')

/** The grant with catalogue spellings (groups and organizations match case-insensitively). */
export async function checkGrant(
  db: Db,
  tenant: { id: string; settings: { memberRules: MemberRules } },
  grant: Grant,
): Promise<GrantCheck> {
  let names = await catalogueNames(db, tenant.id)
  if (!names.roles.length) {
    await insertBuiltins(db, tenant.id)
    names = await catalogueNames(db, tenant.id)
  }
  if (!names.roles.includes(grant.role))
    return { ok: false, field: 'role', reason: `There is no role "${grant.role}" in this store.` }

  const groupByKey = new Map(names.groups.map((g) => [g.toLowerCase(), g]))
  groupByKey.set(EVERYBODY.toLowerCase(), EVERYBODY)
  const unknownGroups = grant.groups.filter((g) => !groupByKey.has(g.toLowerCase()))
  if (unknownGroups.length)
    return {
      ok: false,
      field: 'groups',
      reason: `There is no group ${quoted(unknownGroups)} in this store.`,
    }
  // Every member is in Everybody, whatever the request said.
  const groups = [
    ...new Set([EVERYBODY, ...grant.groups.map((g) => groupByKey.get(g.toLowerCase())!)]),
  ]

  const unknownProducts = grant.products.filter((p) => !names.products.includes(p))
  if (unknownProducts.length)
    return {
      ok: false,
      field: 'products',
      reason: `No app of this store declares the product ${quoted(unknownProducts)}.`,
    }

  let organization: string | null = null
  if (grant.organization) {
    const found = names.organizations.find(
      (o) => o.toLowerCase() === grant.organization!.toLowerCase(),
    )
    if (!found)
      return {
        ok: false,
        field: 'organization',
        reason: `There is no organization "${grant.organization}" in this store.`,
      }
    organization = found
  }

  const rules = tenant.settings.memberRules
  if (rules.requireGroup && groups.length < 2)
    return {
      ok: false,
      field: 'groups',
      reason: `This store requires at least one group besides ${EVERYBODY}.`,
    }
  if (!organization && rules.organizationRequiredFor.includes(grant.role))
    return {
      ok: false,
      field: 'organization',
      reason: `The role "${grant.role}" requires an organization.`,
    }
  return {
    ok: true,
    grant: { role: grant.role, groups, products: [...new Set(grant.products)], organization },
  }
}

type MappingEntry = { idpGroup: string; role?: string | undefined; groups: string[] }

/**
 * A company directory's group mapping names only what the store's catalogues hold (roles, and
 * groups spelt as the catalogue spells them), so a sign-in never gives a member a role or group
 * nobody defined. Refused with every unknown name, each under its entry's field.
 */
export async function checkGroupMapping<M extends MappingEntry>(
  db: Db,
  tenantId: string,
  mapping: M[],
): Promise<M[]> {
  if (!mapping.length) return mapping
  let names = await catalogueNames(db, tenantId)
  if (!names.roles.length) {
    await insertBuiltins(db, tenantId)
    names = await catalogueNames(db, tenantId)
  }
  const groupByKey = new Map(names.groups.map((g) => [g.toLowerCase(), g]))
  groupByKey.set(EVERYBODY.toLowerCase(), EVERYBODY)
  const fields: Record<string, string[]> = {}
  const checked = mapping.map((entry, i) => {
    if (entry.role !== undefined && !names.roles.includes(entry.role))
      fields[`groupMapping.${i}.role`] = [`There is no role "${entry.role}" in this store.`]
    const unknown = entry.groups.filter((g) => !groupByKey.has(g.toLowerCase()))
    if (unknown.length)
      fields[`groupMapping.${i}.groups`] = [`There is no group ${quoted(unknown)} in this store.`]
    return {
      ...entry,
      groups: [...new Set(entry.groups.map((g) => groupByKey.get(g.toLowerCase()) ?? g))],
    }
  })
  if (Object.keys(fields).length)
    throw new AppError(
      'invalid_request',
      'The group mapping names roles or groups this store does not have: create them first.',
      { details: { fields, form: [] } },
    )
  return checked
}
