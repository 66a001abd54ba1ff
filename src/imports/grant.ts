import type { Db } from '../db/database.js'
import { catalogueNames, EVERYBODY, insertBuiltins } from '../members/catalogues.queries.js'
import type { MemberRules } from '../tenants/settings.js'
import { listAppColumns } from './imports.queries.js'

// The tenant's catalogues, read once per chunk, and the check members/rules.ts makes
// (checkGrant), with its reasons, against them: a row costs no query.

export type Catalogue = {
  roles: Set<string>
  groups: Map<string, string>
  organizations: Map<string, string>
  /** App name -> the product its column grants. */
  apps: Map<string, string>
  rules: MemberRules
}

export async function loadCatalogue(
  db: Db,
  tenant: { id: string; settings: { memberRules: MemberRules } },
): Promise<Catalogue> {
  let names = await catalogueNames(db, tenant.id)
  if (!names.roles.length) {
    await insertBuiltins(db, tenant.id)
    names = await catalogueNames(db, tenant.id)
  }
  const groups = new Map(names.groups.map((g) => [g.toLowerCase(), g]))
  groups.set(EVERYBODY.toLowerCase(), EVERYBODY)
  const apps = await listAppColumns(db, tenant.id)
  return {
    roles: new Set(names.roles),
    groups,
    organizations: new Map(names.organizations.map((o) => [o.toLowerCase(), o])),
    apps: new Map(apps.map((a) => [a.name, a.product])),
    rules: tenant.settings.memberRules,
  }
}

export type Grant = {
  role: string
  groups: string[]
  products: string[]
  organization: string | null
}
const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ')

/** The grant in the catalogue's spellings, or the reason it cannot be given (rules.ts's). */
export function checkGrantIn(
  cat: Catalogue,
  grant: Grant,
): { ok: true; grant: Grant } | { ok: false; reason: string } {
  if (!cat.roles.has(grant.role))
    return { ok: false, reason: `There is no role "${grant.role}" in this store.` }
  const unknownGroups = grant.groups.filter((g) => !cat.groups.has(g.toLowerCase()))
  if (unknownGroups.length)
    return { ok: false, reason: `There is no group ${quoted(unknownGroups)} in this store.` }
  const groups = [
    ...new Set([EVERYBODY, ...grant.groups.map((g) => cat.groups.get(g.toLowerCase())!)]),
  ]
  let organization: string | null = null
  if (grant.organization) {
    const found = cat.organizations.get(grant.organization.toLowerCase())
    if (!found)
      return {
        ok: false,
        reason: `There is no organization "${grant.organization}" in this store.`,
      }
    organization = found
  }
  if (cat.rules.requireGroup && groups.length < 2)
    return { ok: false, reason: `This store requires at least one group besides ${EVERYBODY}.` }
  if (!organization && cat.rules.organizationRequiredFor.includes(grant.role))
    return { ok: false, reason: `The role "${grant.role}" requires an organization.` }
  return {
    ok: true,
    grant: {
      role: grant.role,
      groups,
      products: [...new Set(grant.products)].sort(),
      organization,
    },
  }
}
