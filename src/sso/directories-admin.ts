import * as z from 'zod'
import type { Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import { releaseDirectoryHost, setDirectoryHost } from '../tenants/tenant-hosts.js'
import {
  getTenantById,
  listDirectories,
  markTenantChanged,
  type Tenant,
  type TenantUrls,
} from '../tenants/tenants.js'
import { checkGroupMapping } from '../members/rules.js'
import { type GroupMapping, OidcConfig, SamlConfig, type SsoContext } from './connection.js'
import { prepareDirectory, preparePatch } from './directories-input.js'
import * as queries from './directories.queries.js'
import { type DirectoryJson, directoryJson } from './directories-view.js'
import { findEnterpriseDirectory, toEnterpriseDirectory } from './directories.js'
import { rotateSpKey, spCertificates } from './sp-keys.js'

// Creating, changing and deleting a tenant's enterprise directories. What needs the network
// (metadata URLs) is done first (directories-input.ts); the transaction that follows holds the
// tenant's directory lock, so email domains and hosts are checked against settled rows.

export type DirectoryUrls = TenantUrls & { baseDomain: string }

export async function createDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; body: unknown; urls: DirectoryUrls },
): Promise<DirectoryJson> {
  const { tenant } = input
  const { body, config, secretSealed } = await prepareDirectory(ctx, input.body)
  const id = await ctx.db.transaction().execute(async (tx) => {
    await queries.lockTenantDirectories(tx, tenant.id)
    await checkEmailDomains(tx, tenant.id, body.emailDomains)
    config.groupMapping = await checkGroupMapping(tx, tenant.id, body.groupMapping)
    const row = { tenantId: tenant.id, kind: body.kind, name: body.name, config, secretSealed }
    const id = await queries.insertDirectoryRow(tx, { ...row, host: undefined })
    if (body.host) await setDirectoryHost(tx, tenant, id, body.host, input.urls.baseDomain)
    return id
  })
  return reread(ctx, tenant.id, id, input.urls)
}

export async function updateDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; id: string; body: unknown; urls: DirectoryUrls },
): Promise<DirectoryJson> {
  const { tenant, id } = input
  const current = toEnterpriseDirectory(await requireRow(ctx, tenant.id, id))
  const patch = await preparePatch(ctx, current.kind, input.body)
  await ctx.db.transaction().execute(async (tx) => {
    await queries.lockTenantDirectories(tx, tenant.id)
    // Merged into the row as it is now: a change made meanwhile by someone else is kept.
    const row = await requireRow({ db: tx }, tenant.id, id)
    const config: Record<string, unknown> = { ...(row.config as object), ...patch.config }
    for (const key of patch.drop) delete config[key]
    if (patch.config.groupMapping !== undefined)
      config.groupMapping = await checkGroupMapping(
        tx,
        tenant.id,
        patch.config.groupMapping as GroupMapping,
      )
    const valid = (row.kind === 'saml' ? SamlConfig : OidcConfig).safeParse(config)
    if (!valid.success) throw new Error(`directory ${id}: a change left invalid config`)
    if (patch.emailDomains) await checkEmailDomains(tx, tenant.id, patch.emailDomains, id)
    const change = {
      config,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.secretSealed && { secretSealed: patch.secretSealed }),
    }
    await queries.updateDirectoryRow(tx, tenant.id, id, change, new Date())
    if (patch.host !== undefined)
      await setDirectoryHost(tx, tenant, id, patch.host, input.urls.baseDomain)
  })
  return reread(ctx, tenant.id, id, input.urls)
}

/**
 * Deletes the directory, its people's memberships and sessions in this tenant and its hosts.
 * Refused while it is the tenant's only directory: nobody could sign in any more.
 */
export async function deleteDirectory(
  tx: Tx,
  input: { tenant: Tenant; id: string },
): Promise<{ id: string; kind: string; name: string }> {
  const { tenant, id } = input
  await queries.lockTenantDirectories(tx, tenant.id)
  // The row as stored: a directory whose connection no longer validates can still be deleted.
  const row = await requireRow({ db: tx }, tenant.id, id)
  const others = (await listDirectories(tx, tenant.id)).filter((d) => d.id !== id)
  if (others.length === 0)
    throw new AppError(
      'conflict',
      'This is the only directory of the tenant: without it nobody could sign in. Add another directory first.',
    )
  await releaseDirectoryHost(tx, tenant.id, id)
  await queries.deleteDirectoryRows(tx, tenant.id, id)
  await markTenantChanged(tx, tenant.id)
  return { id: row.id, kind: row.kind, name: row.name }
}

/**
 * One step of the SAML SP key rotation of a directory (sp-keys.ts rotateSpKey): 'staged' puts a
 * new key in the SP metadata without signing with it; once the IdP has read that metadata, a
 * second call ('promoted') signs with it, and the old key stays published until it expires.
 */
export async function rotateDirectorySpKey(ctx: SsoContext, input: { tenant: Tenant; id: string }) {
  const directory = await findEnterpriseDirectory(ctx.db, input.tenant.id, input.id)
  if (directory?.kind !== 'saml')
    throw new AppError('not_found', 'There is no such SAML directory.')
  const { step, kid } = await rotateSpKey(ctx, directory.id)
  const keys = (await spCertificates(ctx, directory.id)).map((k) => ({
    kid: k.kid,
    state: k.state,
    notAfter: k.notAfter.toISOString(),
  }))
  return { step, kid, keys }
}

/** Email domains route sign-ins to one directory: each at most once among the tenant's. */
async function checkEmailDomains(tx: Tx, tenantId: string, domains: string[], except?: string) {
  for (const row of await queries.listDirectoryRows(tx, tenantId)) {
    if (row.id === except) continue
    const taken = (row.config as { emailDomains?: unknown }).emailDomains
    const clash = domains.find((d) => Array.isArray(taken) && taken.includes(d))
    if (clash)
      throw new AppError(
        'conflict',
        `The email domain "${clash}" already signs in with the directory "${row.name}".`,
        { details: { field: 'emailDomains', domain: clash, directory: row.id } },
      )
  }
}

async function requireRow(ctx: Pick<SsoContext, 'db'>, tenantId: string, id: string) {
  const row = z.uuid().safeParse(id).success
    ? await queries.findDirectoryRow(ctx.db, tenantId, id)
    : undefined
  if (!row) throw new AppError('not_found', 'There is no such directory.')
  return row
}

async function reread(ctx: SsoContext, tenantId: string, id: string, urls: DirectoryUrls) {
  const row = await requireRow(ctx, tenantId, id)
  const tenant = await getTenantById(ctx.db, tenantId, urls)
  if (!tenant) throw new AppError('not_found', 'There is no such tenant.')
  return directoryJson(tenant, row)
}

/** The tenant's directories whose group mapping names this role or group (any case for groups). */
export async function directoriesMapping(
  db: Tx,
  tenantId: string,
  kind: 'role' | 'group',
  name: string,
): Promise<string[]> {
  const rows = await queries.listDirectoryRows(db, tenantId)
  return rows
    .filter((row) => mappingOf(row).some((m) => names(m, kind).includes(key(kind, name))))
    .map((row) => row.name)
}

/** A role or group renamed in the catalogue is renamed in the tenant's directories' mappings. */
export async function renameInGroupMappings(
  tx: Tx,
  tenantId: string,
  kind: 'role' | 'group',
  from: string,
  to: string,
): Promise<void> {
  for (const row of await queries.listDirectoryRows(tx, tenantId)) {
    const mapping = mappingOf(row)
    if (!mapping.some((m) => names(m, kind).includes(key(kind, from)))) continue
    const renamed = mapping.map((m) =>
      kind === 'role'
        ? m.role === from
          ? { ...m, role: to }
          : m
        : { ...m, groups: m.groups.map((g) => (key(kind, g) === key(kind, from) ? to : g)) },
    )
    const config = { ...(row.config as object), groupMapping: renamed }
    await queries.updateDirectoryRow(tx, tenantId, row.id, { config }, new Date())
  }
}

const mappingOf = (row: queries.DirectoryRow): GroupMapping =>
  ((row.config as { groupMapping?: GroupMapping }).groupMapping ?? []) as GroupMapping
const key = (kind: 'role' | 'group', name: string) => (kind === 'group' ? name.toLowerCase() : name)
const names = (m: GroupMapping[number], kind: 'role' | 'group') =>
  kind === 'role' ? (m.role ? [m.role] : []) : m.groups.map((g) => g.toLowerCase())
