import type { AuditActor } from '../audit/audit.js'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { normalizeEmail } from '../identity/addresses.js'
import type { MemberActor } from '../members/members.js'
import type { Tenant } from '../tenants/tenants.js'
import { readHeader } from './columns.js'
import { MAX_IMPORT_BYTES, openCsv } from './csv-source.js'
import * as q from './imports.queries.js'

// The upload, read record by record and staged in batches as it streams: memory holds one
// batch, whatever the file's size. Nothing is applied here; the job (run.ts) does that.

const BATCH = 1_000

export type ImportActor = { audit: AuditActor; member: MemberActor }

export async function receiveImport(
  db: Db,
  tenant: Tenant,
  input: {
    source: AsyncIterable<Buffer | string>
    fileName: string | null
    actor: ImportActor
    maxBytes?: number
  },
) {
  if (!tenant.databaseDirectoryId)
    throw new AppError('invalid_request', 'This store has no user database to import people into.')
  const csv = await openCsv(input.source, input.maxBytes ?? MAX_IMPORT_BYTES)
  const header = readHeader(csv.header, await q.listAppColumns(db, tenant.id))
  if (!header.columns.includes('email'))
    throw new AppError(
      'invalid_request',
      'The file has no email column: its first line must name the columns, email among them.',
      {
        details: { fields: { email: ['a required column'] }, form: [], columns: csv.header },
      },
    )
  if (header.repeated.length)
    throw new AppError(
      'invalid_request',
      `The column ${header.repeated.map((c) => `"${c}"`).join(', ')} appears more than once.`,
    )

  const imported = await q.insertImport(db, {
    tenant_id: tenant.id,
    file_name: input.fileName?.slice(0, 255) ?? null,
    actor: input.actor,
  })
  const warnings = [...header.warnings]
  let total = 0
  let refused = 0
  try {
    let batch: Parameters<typeof q.insertStagedRows>[1] = []
    const base = { tenant_id: tenant.id, import_id: imported.id }
    for await (const record of csv.records) {
      total++
      if ('problem' in record) {
        const { line, reason } = record.problem
        warnings.push(`Line ${line}: ${reason}`)
        batch.push({
          ...base,
          line,
          email: null,
          email_key: null,
          data: null,
          status: 'done',
          outcome: 'invalid',
          reason,
        })
        refused++
        continue
      }
      const staged = stageRecord(header.columns, record.cells)
      if (typeof staged === 'string') refused++
      batch.push({
        ...base,
        line: record.line,
        ...(typeof staged === 'string'
          ? {
              email: record.cells[header.columns.indexOf('email')] ?? null,
              email_key: null,
              data: null,
              status: 'done',
              outcome: 'invalid',
              reason: staged,
            }
          : { ...staged, status: 'pending', outcome: null, reason: null }),
      })
      if (batch.length >= BATCH) {
        await q.insertStagedRows(db, batch)
        batch = []
      }
    }
    await q.insertStagedRows(db, batch)
    if (total === 0) throw new AppError('invalid_request', 'The file has a header and no rows.')
    await q.queueImport(db, tenant.id, imported.id, {
      columns: header.columns,
      warnings,
      total,
      done: refused,
    })
  } catch (error) {
    // A refused upload (too large, unreadable) leaves nothing behind: no half-staged job.
    await q.deleteImport(db, tenant.id, imported.id)
    throw error
  }
  return { id: imported.id, rows: total, warnings, unknownColumns: header.unknown }
}

/** The record's cells by column, or why it cannot be read. */
function stageRecord(columns: (string | null)[], cells: string[]) {
  if (cells.length !== columns.length)
    return `This line has ${cells.length} fields; the header has ${columns.length}.`
  const data: Record<string, unknown> = {}
  const groups: string[] = []
  const apps: Record<string, string> = {}
  columns.forEach((column, i) => {
    const cell = cells[i]!
    if (column === null) return
    if (column === 'group') groups.push(cell)
    else if (column.startsWith('app:')) apps[column.slice(4)] = cell
    else data[column] = cell
  })
  data.groups = groups
  data.apps = apps
  const email = String(data.email ?? '').trim()
  const normal = normalizeEmail(email)
  return { email: email.slice(0, 1000), email_key: normal.ok ? normal.key : null, data }
}
