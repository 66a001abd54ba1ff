import type { Tenant, TenantSummary } from './tenants.js'

// One JSON shape of a tenant for the admin API and the CLI's --json, so scripts written
// against either read the same fields.

/** A tenant as listed: settings left out, a settings problem named when there is one. */
export const tenantSummaryJson = (t: TenantSummary) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  hosts: t.hosts,
  primaryHost: t.primaryHost,
  publicUrl: t.publicUrl,
  createdAt: t.createdAt.toISOString(),
  ...(t.settingsProblem ? { settingsProblem: t.settingsProblem } : {}),
})

/** One tenant in full: its directories and settings too. */
export const tenantJson = (
  t: Tenant,
  directories: { id: string; kind: string; name: string }[],
) => ({
  ...tenantSummaryJson(t),
  directories,
  settings: t.settings,
})

/** The tenant's hosts: primary first, and the directory each dedicated host belongs to. */
export const hostsJson = (t: Tenant) => ({
  primaryHost: t.primaryHost,
  hosts: [t.primaryHost, ...t.hosts.filter((h) => h !== t.primaryHost)].map((host) => ({
    host,
    primary: host === t.primaryHost,
    directory: t.directoryHosts[host] ?? null,
  })),
})
