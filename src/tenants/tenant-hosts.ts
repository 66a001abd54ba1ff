import * as z from 'zod'
import type { Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import { defaultHost, isHostName, normalizeHost } from './hosts.js'
import * as queries from './tenants.queries.js'
import { checkHostAvailable, markTenantChanged, type Tenant } from './tenants.js'

// A tenant's hosts after its creation. A host may be bound to one of the tenant's enterprise
// directories (its dedicated host: every sign-in there goes to that IdP); a directory has at
// most one, and the URLs its IdP knows (entity ID, ACS, redirect URI) live on it.

export const HostName = z
  .string()
  .max(300)
  .transform((h) => normalizeHost(h) ?? h)
  .refine(isHostName, 'a DNS host name such as "store.example.com"')
export const AddHostInput = z.strictObject({
  host: HostName,
  /** An enterprise directory of the tenant this host is dedicated to. */
  directory: z.uuid().optional(),
})

const notFound = (what: string) => new AppError('not_found', what)

/**
 * Adds `host` to the tenant, bound to `directoryId` when given. A host the tenant already has
 * (unbound) is bound instead. Serialised with tenant creation, so two tenants cannot take one
 * host, nor one tenant a host another is being created with.
 */
export async function addTenantHost(
  tx: Tx,
  tenant: Tenant,
  input: { host: string; directoryId?: string | undefined },
  baseDomain: string,
  field = 'host',
): Promise<void> {
  const { host, directoryId } = input
  await queries.lockTenantCreation(tx)
  if (directoryId) {
    const directory = (await queries.listTenantDirectories(tx, tenant.id)).find(
      (d) => d.id === directoryId && d.kind !== 'database',
    )
    if (!directory) throw notFound(`There is no enterprise directory ${directoryId} here.`)
    const bound = await queries.findDirectoryHost(tx, tenant.id, directoryId)
    if (bound)
      throw new AppError(
        'conflict',
        `The directory already has the host "${bound.host}": change the directory's host instead.`,
        { details: { field, host: bound.host } },
      )
  }
  const existing = await queries.findHost(tx, host)
  if (existing?.tenant_id === tenant.id) {
    if (!directoryId || existing.directory_id)
      throw new AppError(
        'conflict',
        existing.directory_id
          ? `The host "${host}" is already dedicated to another directory of this tenant.`
          : `The host "${host}" is already a host of this tenant.`,
        { details: { field, host } },
      )
    await queries.bindHost(tx, tenant.id, host, directoryId)
  } else {
    await checkHostAvailable(tx, tenant.slug, host, baseDomain, field)
    await queries.insertHost(tx, { host, tenantId: tenant.id, directoryId: directoryId ?? null })
  }
  await markTenantChanged(tx, tenant.id)
}

/** Removes a host the tenant no longer serves; never its primary host, nor a directory's. */
export async function removeTenantHost(
  tx: Tx,
  tenant: Tenant,
  host: string,
  baseDomain: string,
): Promise<void> {
  const name = normalizeHost(host) ?? host
  const row = await queries.findHost(tx, name)
  if (!row || row.tenant_id !== tenant.id) {
    if (name === defaultHost(tenant.slug, baseDomain))
      throw new AppError(
        'conflict',
        `"${name}" is the tenant's built-in host ({slug}.BASE_DOMAIN): it always answers and cannot be removed.`,
      )
    throw notFound(`"${name}" is not a host of this tenant.`)
  }
  if (row.is_primary)
    throw new AppError(
      'conflict',
      `"${name}" is the tenant's primary host: its public URL, the issuer of its tokens and the links in its mail are built on it, so it cannot be removed.`,
    )
  if (row.directory_id)
    throw new AppError(
      'conflict',
      `"${name}" is the dedicated host of directory ${row.directory_id}, whose IdP knows URLs on it: change the directory's host or delete the directory instead.`,
    )
  await queries.deleteHost(tx, tenant.id, name)
  await markTenantChanged(tx, tenant.id)
}

/**
 * The directory's dedicated host becomes `host` (null: none). The host it had is removed from
 * the tenant, unless it is the primary host, which only stops being dedicated.
 */
export async function setDirectoryHost(
  tx: Tx,
  tenant: Tenant,
  directoryId: string,
  host: string | null,
  baseDomain: string,
): Promise<void> {
  const current = await queries.findDirectoryHost(tx, tenant.id, directoryId)
  if (current?.host === host) return
  if (current) await releaseHost(tx, current)
  if (host) await addTenantHost(tx, tenant, { host, directoryId }, baseDomain)
  else await markTenantChanged(tx, tenant.id)
}

/** Before a directory goes: its hosts go with it, but the primary host stays, unbound. */
export async function releaseDirectoryHost(
  tx: Tx,
  tenantId: string,
  directoryId: string,
): Promise<void> {
  const current = await queries.findDirectoryHost(tx, tenantId, directoryId)
  if (current) await releaseHost(tx, current)
}

async function releaseHost(tx: Tx, row: queries.HostRow): Promise<void> {
  if (row.is_primary) await queries.bindHost(tx, row.tenant_id, row.host, null)
  else await queries.deleteHost(tx, row.tenant_id, row.host)
}
