import * as z from 'zod'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import type { Tenant } from '../tenants/tenants.js'
import {
  type EnterpriseDirectory,
  oidcRedirectUri,
  type SamlDirectory,
  samlUrls,
} from './connection.js'
import { type DirectoryRow, findDirectoryRow, listDirectoryRows } from './directories.queries.js'
import { toEnterpriseDirectory } from './directories.js'
import { describeCertificate } from './metadata.js'

// One JSON shape of a directory for the admin API and the CLI's --json. An explicit allowlist:
// the sealed client secret (and any field added later) never leaves by accident.

const MetadataRefresh = z.object({
  attemptedAt: z.string(),
  succeededAt: z.string().optional(),
  error: z.string().optional(),
})

/** Every host of the tenant, its primary host first: each serves sign-ins, so each has URLs. */
const hostsOf = (tenant: Tenant) => [
  tenant.primaryHost,
  ...tenant.hosts.filter((h) => h !== tenant.primaryHost),
]

/** What the customer's IT copies into their IdP. */
export function idpSetup(tenant: Tenant, directory: EnterpriseDirectory) {
  const hosts = hostsOf(tenant)
  if (directory.kind === 'saml') {
    const sp = samlUrls(tenant, directory)
    const acsUrls = hosts.map((h) => samlUrls(tenant, directory, h).acsUrl)
    /** acsUrls: one ACS per host a sign-in may start on; acsUrl is the default. */
    return { sp: { ...sp, acsUrls: [...new Set([sp.acsUrl, ...acsUrls])] } }
  }
  const redirectUri = oidcRedirectUri(tenant, directory)
  const all = hosts.map((h) => oidcRedirectUri(tenant, directory, h))
  return { rp: { redirectUri, redirectUris: [...new Set([redirectUri, ...all])] } }
}

export function directoryJson(tenant: Tenant, row: DirectoryRow, now = new Date()) {
  const base = {
    id: row.id,
    kind: row.kind,
    name: row.name,
    host: row.host,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
  let directory: EnterpriseDirectory
  try {
    directory = toEnterpriseDirectory(row)
  } catch (error) {
    // A broken row is shown as broken instead of failing the whole list.
    if (error instanceof AppError && error.code === 'tenant_misconfigured')
      return { ...base, problem: error.message }
    throw error
  }
  const common = {
    ...base,
    emailDomains: directory.config.emailDomains,
    groupMapping: directory.config.groupMapping,
  }
  if (directory.kind === 'saml') {
    const refresh = MetadataRefresh.safeParse(
      (row.config as { metadataRefresh?: unknown }).metadataRefresh,
    )
    return {
      ...common,
      ...(directory.config.metadataUrl && { metadataUrl: directory.config.metadataUrl }),
      attributeMapping: directory.config.attributeMapping,
      allowIdpInitiated: directory.config.allowIdpInitiated,
      idp: idpJson(directory, now),
      ...(refresh.success && { metadataRefresh: refresh.data }),
      ...idpSetup(tenant, directory),
    }
  }
  const c = directory.config
  return {
    ...common,
    issuer: c.issuer,
    clientId: c.clientId,
    hasClientSecret: directory.secretSealed.length > 0,
    tokenEndpointAuthMethod: c.tokenEndpointAuthMethod,
    scopes: c.scopes,
    claimMapping: c.claimMapping,
    allowedTenantIds: c.allowedTenantIds,
    ...idpSetup(tenant, directory),
  }
}

function idpJson(directory: SamlDirectory, now: Date) {
  const { idp } = directory.config
  return {
    entityId: idp.entityId,
    ssoUrl: idp.ssoUrl,
    ...(idp.fetchedAt && { fetchedAt: idp.fetchedAt }),
    certificates: idp.certificates.map((pem) => describeCertificate(pem, now)),
  }
}

export type DirectoryJson = ReturnType<typeof directoryJson>

export async function listDirectoryViews(db: Db, tenant: Tenant): Promise<DirectoryJson[]> {
  const now = new Date()
  return (await listDirectoryRows(db, tenant.id)).map((row) => directoryJson(tenant, row, now))
}

export async function getDirectoryView(db: Db, tenant: Tenant, id: string): Promise<DirectoryJson> {
  const row = z.uuid().safeParse(id).success ? await findDirectoryRow(db, tenant.id, id) : undefined
  if (!row) throw new AppError('not_found', 'There is no such directory.')
  return directoryJson(tenant, row)
}
