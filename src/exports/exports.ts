import type { Readable } from 'node:stream'
import * as z from 'zod'
import type { Db } from '../db/database.js'
import { MEMBERSHIP_KINDS, MEMBERSHIP_STATUSES } from '../db/schema.js'
import { INVITATION_STATUSES, invitationStatus } from '../invitations/status.js'
import { type CsvCell, type CsvSeparator, csvStream } from '../lib/csv.js'
import { parse } from '../lib/validate.js'
import type { Tenant } from '../tenants/tenants.js'
import { listApps } from '../tokens/apps.js'
import { EXPORT_COLUMNS } from './columns.js'
import * as q from './exports.queries.js'

// CSV export of a tenant's members and invitations (issue 12), streamed page by page.
//
// App columns hold the app's grant on the membership: its product (or, without one, its client
// id) in the membership's products, the privilege the guests x apps grid sets. For a guest that
// is access: the provider admits a guest to granted apps only. A member may use every app of
// the store whatever the cell says (tokens/accounts.ts mayUseApp); for a member the cell says
// whether the product is in their tokens' `products` claim. Writing the stored grant, not the
// access, is what lets the file be imported back with nothing changed.

/** Rows per database page: enough to amortise the round trip, little enough to hold. */
export const EXPORT_PAGE_ROWS = 500

const common = {
  separator: z.enum(['comma', 'semicolon']).default('comma'),
  bom: z
    .enum(['true', 'false'])
    .default('false')
    .describe('A UTF-8 byte order mark first, so that Excel reads the file as UTF-8'),
}
export const MemberExportQuery = z.strictObject({
  ...common,
  kind: z.enum(MEMBERSHIP_KINDS).optional(),
  status: z.enum(MEMBERSHIP_STATUSES).optional(),
  group: z.string().trim().min(1).max(100).optional(),
  role: z.string().trim().min(1).max(50).optional(),
  organization: z.string().trim().min(1).max(200).optional(),
})
export const InvitationExportQuery = z.strictObject({
  ...common,
  status: z.enum(INVITATION_STATUSES).optional(),
})

export type CsvExport = { filename: string; filters: Record<string, string>; body: Readable }

type Person = q.ExportedMember
type App = { name: string; product: string }

async function appsOf(db: Db, tenant: Tenant): Promise<App[]> {
  const apps = (await listApps(db, tenant.id)).filter((a) => a.type !== 'machine')
  return apps.map((a) => ({ name: a.name, product: a.product ?? a.clientId }))
}

const headerOf = (groups: number, apps: App[], extra: readonly string[] = []) => [
  ...EXPORT_COLUMNS.person,
  ...Array.from({ length: groups }, (_, i) => EXPORT_COLUMNS.group(i + 1)),
  ...apps.map((a) => a.name),
  ...extra,
]

function personCells(p: Person, groups: number, apps: App[], locale = p.locale): CsvCell[] {
  return [
    p.email,
    p.first_name,
    p.last_name,
    p.phone,
    p.job_title,
    p.external_id,
    locale,
    p.role,
    p.organization,
    p.kind,
    ...Array.from({ length: groups }, (_, i) => p.groups[i] ?? ''),
    ...apps.map((a) => p.products.includes(a.product)),
  ]
}

/** Keyset pages until one comes back short. */
async function* pages<T extends { at: string; id: string }>(
  fetch: (after: q.Keyset | undefined) => Promise<T[]>,
): AsyncGenerator<T[]> {
  let after: q.Keyset | undefined
  for (;;) {
    const rows = await fetch(after)
    if (rows.length > 0) yield rows
    const last = rows.at(-1)
    if (!last || rows.length < EXPORT_PAGE_ROWS) return
    after = { at: last.at, id: last.id }
  }
}

async function* mapPages<T>(source: AsyncIterable<T[]>, row: (item: T) => CsvCell[]) {
  for await (const page of source) yield page.map(row)
}

const separatorOf = (s: 'comma' | 'semicolon'): CsvSeparator => (s === 'comma' ? ',' : ';')
const day = (now: Date) => now.toISOString().slice(0, 10)
const filtersOf = (query: Record<string, string | undefined>) =>
  Object.fromEntries(
    Object.entries(query).filter(([k, v]) => v !== undefined && k !== 'separator' && k !== 'bom'),
  ) as Record<string, string>

/**
 * The members CSV. Validation, the apps and the number of group columns come first, so a bad
 * query is a JSON error; the rows are read as the response is written.
 */
export async function exportMembers(
  db: Db,
  tenant: Tenant,
  input: unknown,
  now = new Date(),
): Promise<CsvExport> {
  const query = parse(MemberExportQuery, input)
  const { separator, bom, ...filters } = query
  const apps = await appsOf(db, tenant)
  const groups = Math.max(
    EXPORT_COLUMNS.minGroups,
    await q.maxGroupsOfMembers(db, tenant.id, filters),
  )
  const rows = pages((after) =>
    q.listMembersAfter(db, tenant.id, {
      filters,
      limit: EXPORT_PAGE_ROWS,
      ...(after && { after }),
    }),
  )
  return {
    filename: `members-${tenant.slug}-${day(now)}.csv`,
    filters: filtersOf(filters),
    body: csvStream(
      headerOf(groups, apps),
      mapPages(rows, (p) => personCells(p, groups, apps)),
      { separator: separatorOf(separator), bom: bom === 'true' },
    ),
  }
}

/** The invitations CSV: the same columns, then status, invitedAt and expiresAt. */
export async function exportInvitations(
  db: Db,
  tenant: Tenant,
  input: unknown,
  now = new Date(),
): Promise<CsvExport> {
  const query = parse(InvitationExportQuery, input)
  const { separator, bom, ...filters } = query
  const apps = await appsOf(db, tenant)
  const groups = Math.max(
    EXPORT_COLUMNS.minGroups,
    await q.maxGroupsOfInvitations(db, tenant.id, filters, now),
  )
  const rows = pages((after) =>
    q.listInvitationsAfter(db, tenant.id, {
      filters,
      now,
      limit: EXPORT_PAGE_ROWS,
      ...(after && { after }),
    }),
  )
  // The invitation's language (the one its mails are written in) where the person has none.
  const cells = (i: q.ExportedInvitation): CsvCell[] => [
    ...personCells(i, groups, apps, i.locale ?? i.invitation_locale),
    invitationStatus(i, now),
    i.created_at.toISOString(),
    i.expires_at.toISOString(),
  ]
  return {
    filename: `invitations-${tenant.slug}-${day(now)}.csv`,
    filters: filtersOf(filters),
    body: csvStream(headerOf(groups, apps, EXPORT_COLUMNS.invitation), mapPages(rows, cells), {
      separator: separatorOf(separator),
      bom: bom === 'true',
    }),
  }
}
