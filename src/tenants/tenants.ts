import * as z from 'zod'
import type { Db, Tx } from '../db/database.js'
import type { DirectoryKind } from '../db/schema.js'
import { AppError } from '../errors.js'
import { parse } from '../lib/validate.js'
import { defaultHost, isHostName, normalizeHost, SLUG, slugFromHost } from './hosts.js'
import {
  AuditRetention,
  type PasswordPolicy,
  PasswordPolicyFields,
  TenantSettings,
  TenantSettingsShape,
  TokenSettings,
} from './settings.js'
import * as queries from './tenants.queries.js'

export type Tenant = {
  id: string
  slug: string
  name: string
  settings: TenantSettings
  hosts: string[]
  /** Hosts bound to an enterprise directory (host -> directory id): sign-in goes to its IdP. */
  directoryHosts: Record<string, string>
  primaryHost: string
  /** Its own user database, if it has one (enterprise-only tenants do not). */
  databaseDirectoryId: string | null
  /** Whether a company directory (SAML, OpenID Connect) serves it too. */
  hasEnterpriseDirectories: boolean
  /**
   * Canonical origin: every URL we emit (links in mail, issuer) is built from it, never from the
   * request. A tenant found by host is seen on that host (its own stored host, or the default
   * `{slug}.BASE_DOMAIN`): each host is an OpenID Provider of its own, so the apps of a dedicated
   * host sign in there. Elsewhere (admin API, jobs) it is the primary host's.
   */
  publicUrl: string
  createdAt: Date
  updatedAt: Date
}
export type TenantUrls = { baseDomain: string; publicUrlTemplate: string }
export type TenantSummary = Omit<Tenant, 'settings'> & { settingsProblem?: string }

export const Slug = z
  .string()
  .regex(SLUG, "2 to 40 characters of a-z, 0-9 and '-', not starting or ending with '-'")
const Host = z
  .string()
  .transform((h) => normalizeHost(h) ?? h)
  .refine(isHostName, 'a DNS host name such as "store.example.com"')

export const CreateTenantInput = z.strictObject({
  slug: Slug,
  name: z.string().trim().min(1).max(200),
  hosts: z.array(Host).max(20).default([]),
})
export type CreateTenantInput = z.input<typeof CreateTenantInput>

function summarize(
  row: queries.TenantRow,
  urls: TenantUrls,
  servedHost?: string,
): TenantSummary & { settings: unknown } {
  const primaryHost =
    row.hosts.find((h) => h.is_primary)?.host ?? defaultHost(row.slug, urls.baseDomain)
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    settings: row.settings,
    hosts: row.hosts.map((h) => h.host),
    directoryHosts: Object.fromEntries(
      row.hosts.flatMap((h) => (h.directory_id ? [[h.host, h.directory_id]] : [])),
    ),
    primaryHost,
    publicUrl: urls.publicUrlTemplate
      .replace('{host}', servedHost ?? primaryHost)
      .replace('{slug}', row.slug),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    databaseDirectoryId: row.database_directory_id,
    hasEnterpriseDirectories: row.has_enterprise_directories,
  }
}

// Settings are validated on every read: a bad row fails loudly for its own tenant only.
function toTenant(row: queries.TenantRow, urls: TenantUrls, servedHost?: string): Tenant {
  const summary = summarize(row, urls, servedHost)
  const settings = TenantSettings.safeParse(row.settings)
  if (!settings.success) {
    throw new AppError(
      'tenant_misconfigured',
      'This store is not configured correctly. Its administrators can fix it in the settings.',
      {
        cause: new Error(
          `tenant "${row.slug}" has invalid settings: ${z.prettifyError(settings.error)}`,
        ),
      },
    )
  }
  return { ...summary, settings: settings.data }
}

/** Exact host first, then `{slug}.{BASE_DOMAIN}`; never a default tenant. */
export async function findTenantForHost(
  db: Db,
  host: string,
  urls: TenantUrls,
): Promise<Tenant | undefined> {
  const row = await queries.findTenantByHost(db, host, slugFromHost(host, urls.baseDomain))
  // The host matched one of the tenant's (stored, or its default): safe to emit URLs on.
  return row && toTenant(row, urls, host)
}

export async function getTenant(db: Db, slug: string, urls: TenantUrls): Promise<Tenant> {
  const row = await queries.findTenantBySlug(db, slug)
  if (!row) throw new AppError('not_found', `There is no tenant "${slug}".`)
  return toTenant(row, urls)
}

export async function listTenants(db: Db, urls: TenantUrls): Promise<TenantSummary[]> {
  return (await queries.listTenants(db)).map((row) => {
    const { settings, ...summary } = summarize(row, urls)
    const parsed = TenantSettings.safeParse(settings)
    return parsed.success ? summary : { ...summary, settingsProblem: z.prettifyError(parsed.error) }
  })
}

export async function createTenant(
  tx: Tx,
  input: CreateTenantInput & {
    settings: TenantSettings
    directory?: { kind: DirectoryKind; name: string }
    /** A store of the same customer: its user database, and so its passwords, are shared. */
    shareDirectoryWith?: string | undefined
  },
  urls: TenantUrls,
): Promise<Tenant> {
  const { slug, name, hosts } = parse(CreateTenantInput, {
    slug: input.slug,
    name: input.name,
    hosts: input.hosts,
  })
  const settings = parse(TenantSettings, input.settings, 'The tenant settings are invalid.')
  await queries.lockTenantCreation(tx) // checks below cannot race another creation
  await checkAvailable(tx, slug, [...new Set(hosts)], urls.baseDomain)

  const { id } = await queries.insertTenant(tx, { slug, name, settings })
  await queries.insertHosts(tx, id, [...new Set(hosts)])
  const directory = input.shareDirectoryWith
    ? await databaseDirectoryOf(tx, (await getTenant(tx, input.shareDirectoryWith, urls)).id)
    : await queries.insertDirectory(
        tx,
        input.directory ?? { kind: 'database', name: `${name} users` },
      )
  await queries.attachDirectory(tx, id, directory.id)
  return getTenant(tx, slug, urls)
}

async function checkAvailable(
  db: Db,
  slug: string,
  hosts: string[],
  baseDomain: string,
): Promise<void> {
  if (await queries.findTenantBySlug(db, slug)) {
    throw new AppError('conflict', `The slug "${slug}" is already taken.`, {
      details: { field: 'slug', slug },
    })
  }
  if (await queries.findHostOwner(db, defaultHost(slug, baseDomain))) {
    throw new AppError(
      'conflict',
      `The host "${defaultHost(slug, baseDomain)}" already belongs to another tenant.`,
      {
        details: { field: 'slug', host: defaultHost(slug, baseDomain) },
      },
    )
  }
  for (const host of hosts) await checkHostAvailable(db, slug, host, baseDomain, 'hosts')
}

/** A host `slug`'s tenant may take: not another tenant's, nor reserved for another slug. */
export async function checkHostAvailable(
  db: Db,
  slug: string,
  host: string,
  baseDomain: string,
  field: string,
): Promise<void> {
  // {other}.BASE_DOMAIN belongs to tenant "other"; an exact host would otherwise take it over.
  const impliedSlug = slugFromHost(host, baseDomain)
  if (impliedSlug && impliedSlug !== slug) {
    throw new AppError(
      'invalid_request',
      `The host "${host}" is reserved for the tenant "${impliedSlug}".`,
      {
        details: { field, host },
      },
    )
  }
  if (await queries.findHostOwner(db, host)) {
    throw new AppError('conflict', `The host "${host}" already belongs to another tenant.`, {
      details: { field, host },
    })
  }
}

export const listDirectories = (db: Db, tenantId: string) =>
  queries.listTenantDirectories(db, tenantId)
export const countTenants = (db: Db) => queries.countTenants(db)

/** The tenant's own user database (custom users, invitations, passwords). */
export async function databaseDirectoryOf(db: Db, tenantId: string) {
  const directory = (await queries.listTenantDirectories(db, tenantId)).find(
    (d) => d.kind === 'database',
  )
  if (!directory)
    throw new AppError(
      'invalid_request',
      'This tenant has no user database: its users sign in through their company.',
    )
  return directory
}

export const SettingsPatch = z
  .strictObject({
    ...TenantSettingsShape.shape,
    passwordPolicy: z.union([z.string().max(50), PasswordPolicyFields.partial()]),
    warnings: TenantSettingsShape.shape.warnings.partial(),
    // Without their defaults: a patch that leaves them out must keep the tenant's values
    // (zod fills a default in even under .partial(), which reset them on every patch).
    tokens: TokenSettings,
    auditRetention: AuditRetention,
  })
  .partial()

/**
 * Merges a patch into the tenant's settings and validates the result as a whole. A password
 * policy may be named (a preset of config/password-policies.json) or given field by field.
 */
export async function updateSettings(
  db: Db,
  tenant: Tenant,
  patch: unknown,
  presets: Record<string, PasswordPolicy>,
) {
  const p = parse(SettingsPatch, patch)
  const policy =
    typeof p.passwordPolicy === 'string'
      ? (presets[p.passwordPolicy] ??
        reject(`There is no password policy named "${p.passwordPolicy}".`))
      : { ...tenant.settings.passwordPolicy, ...p.passwordPolicy }
  const merged = {
    ...tenant.settings,
    ...p,
    passwordPolicy: policy,
    warnings: { ...tenant.settings.warnings, ...p.warnings },
  }
  const settings = parse(TenantSettings, merged, 'These settings are not valid together.')
  await queries.updateTenantSettings(db, tenant.id, settings)
  return settings
}

function reject(message: string): never {
  throw new AppError('invalid_request', message, {
    details: { fields: { passwordPolicy: [message] } },
  })
}

/** Every tenant's id and validated settings; tenants with broken settings are skipped. */
export async function tenantsWithSettings(
  db: Db,
): Promise<{ id: string; slug: string; settings: TenantSettings }[]> {
  return (await queries.listTenantSettings(db)).flatMap((row) => {
    const settings = TenantSettings.safeParse(row.settings)
    return settings.success ? [{ id: row.id, slug: row.slug, settings: settings.data }] : []
  })
}

export async function getTenantById(
  db: Db,
  id: string,
  urls: TenantUrls,
): Promise<Tenant | undefined> {
  const row = await queries.findTenantById(db, id)
  return row && toTenant(row, urls)
}

/**
 * Marks the tenant changed: every gateway process rebuilds what it derived from the tenant (its
 * OpenID Provider: keys, lifetimes) within the host cache's second.
 */
export const markTenantChanged = (db: Db, tenantId: string) => queries.touchTenant(db, tenantId)
