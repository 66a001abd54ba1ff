import * as z from 'zod'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import type { Tenant } from '../tenants/tenants.js'
import { templateHeader } from './columns.js'
import * as q from './imports.queries.js'

// What the admin API and the CLI read of an import: its progress, its report, the template.

export { receiveImport, type ImportActor } from './stage.js'
export { runImports } from './run.js'
import { OUTCOMES } from './apply.js'
export { OUTCOMES }

const notFound = () => new AppError('not_found', 'There is no such import in this store.')

async function requireImport(db: Db, tenantId: string, id: string) {
  const row = z.uuid().safeParse(id).success ? await q.findImport(db, tenantId, id) : undefined
  if (!row) throw notFound()
  return row
}

export const importPath = (tenant: Pick<Tenant, 'slug'>, id: string) =>
  `/admin/api/v1/tenants/${tenant.slug}/imports/${id}`

function view(tenant: Tenant, row: q.ImportRecord, counts?: Record<string, number>) {
  return {
    id: row.id,
    state: row.state,
    fileName: row.file_name,
    rows: { total: row.total_rows, done: row.done_rows },
    ...(counts && { counts }),
    warnings: row.warnings,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    links: { self: importPath(tenant, row.id), report: `${importPath(tenant, row.id)}/report` },
  }
}
export type ImportView = ReturnType<typeof view>

export async function getImport(db: Db, tenant: Tenant, id: string) {
  const row = await requireImport(db, tenant.id, id)
  const counts = await q.countOutcomes(db, tenant.id, row.id)
  const ordered = Object.fromEntries(
    OUTCOMES.filter((o) => o in counts).map((o) => [o, counts[o]!]),
  )
  return view(tenant, row, ordered)
}

export async function listImportViews(db: Db, tenant: Tenant) {
  const rows = await q.listImports(db, tenant.id, 50)
  return { items: rows.map((r) => view(tenant, r)) }
}

/** The tenant's template: the header of every column an import reads, its apps included. */
export async function templateCsv(db: Db, tenant: Tenant) {
  return `${csvLine(templateHeader(await q.listAppColumns(db, tenant.id)))}\r\n`
}

/** The report, line by line in file order, a page of rows at a time. */
export async function* reportCsv(db: Db, tenant: Tenant, id: string) {
  const row = await requireImport(db, tenant.id, id)
  yield `${csvLine(['line', 'email', 'outcome', 'reason'])}\r\n`
  for (let after = 0; ;) {
    const page = await q.reportPage(db, tenant.id, row.id, after, 1_000)
    if (!page.length) return
    yield page
      .map(
        (r) =>
          `${csvLine([String(r.line), r.email ?? '', r.outcome ?? 'pending', r.reason ?? ''])}\r\n`,
      )
      .join('')
    after = page[page.length - 1]!.line
  }
}

// OWASP ASVS 5.0 1.2.10: a cell a spreadsheet would run as a formula is neutralised; the
// file's own addresses and our reasons quoting them come back here.
const FORMULA = /^[=+\-@\t\r]/
const cell = (v: string) => {
  const safe = FORMULA.test(v) ? `'${v}` : v
  return /[",\r\n;]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}
const csvLine = (cells: string[]) => cells.map(cell).join(',')
