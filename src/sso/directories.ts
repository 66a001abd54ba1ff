import * as z from 'zod'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { type EnterpriseDirectory, OidcConfig, SamlConfig } from './connection.js'
import { type DirectoryRow, findDirectoryRow, listDirectoryRows } from './directories.queries.js'

// Enterprise directories as sign-in reads them: the stored connection validated on every read,
// so a bad row fails loudly for its own directory only.

export function toEnterpriseDirectory(row: DirectoryRow): EnterpriseDirectory {
  const misconfigured = (error: z.ZodError) =>
    new AppError(
      'tenant_misconfigured',
      'This sign-in connection is not configured correctly. The store administrators can fix it.',
      { cause: new Error(`directory ${row.id} has invalid config: ${z.prettifyError(error)}`) },
    )
  if (row.kind === 'saml') {
    const config = SamlConfig.safeParse(row.config)
    if (!config.success) throw misconfigured(config.error)
    return { id: row.id, kind: 'saml', name: row.name, config: config.data, host: row.host }
  }
  const config = OidcConfig.safeParse(row.config)
  if (!config.success) throw misconfigured(config.error)
  if (!row.secret_sealed) throw misconfigured(new z.ZodError([]))
  return {
    id: row.id,
    kind: 'oidc',
    name: row.name,
    config: config.data,
    host: row.host,
    secretSealed: row.secret_sealed,
  }
}

/** The tenant's enterprise directory `id`; another tenant's, or a database one, is not found. */
export async function findEnterpriseDirectory(
  db: Db,
  tenantId: string,
  id: string,
): Promise<EnterpriseDirectory | undefined> {
  if (!z.uuid().safeParse(id).success) return undefined
  const row = await findDirectoryRow(db, tenantId, id)
  return row && toEnterpriseDirectory(row)
}

const MAX_CACHED = 10_000

/**
 * findEnterpriseDirectory for the sign-in routes, which read the directory on every request:
 * found directories are kept for `ttlMs` in this process, the tenant cache's rule
 * (http/tenant.ts): a change made by any gateway process (a new IdP certificate, a directory
 * removed) is seen everywhere within that time. Unknown ids are never kept, so a new directory
 * answers at once. 0 keeps nothing (tests).
 */
export function cachedEnterpriseDirectories(db: Db, ttlMs: number) {
  const cache = new Map<string, { directory: EnterpriseDirectory; until: number }>()
  return async (tenantId: string, id: string): Promise<EnterpriseDirectory | undefined> => {
    const key = `${tenantId} ${id}`
    const now = Date.now()
    const cached = cache.get(key)
    if (cached && cached.until > now) return cached.directory
    const directory = await findEnterpriseDirectory(db, tenantId, id)
    if (!directory || ttlMs <= 0) return directory
    if (cache.size >= MAX_CACHED) cache.clear()
    cache.set(key, { directory, until: now + ttlMs })
    return directory
  }
}

export async function listEnterpriseDirectories(
  db: Db,
  tenantId: string,
): Promise<EnterpriseDirectory[]> {
  return (await listDirectoryRows(db, tenantId)).map(toEnterpriseDirectory)
}

/** The directory whose emailDomains hold this address's domain (home-realm discovery). */
export function directoryForEmail(
  directories: EnterpriseDirectory[],
  email: string,
): EnterpriseDirectory | undefined {
  const domain = email.trim().toLowerCase().split('@').at(-1)
  if (!domain || !email.includes('@')) return undefined
  return directories.find((d) => d.config.emailDomains.includes(domain))
}

/** What the SSO code needs of the running gateway, from its configuration. */
