import { randomUUID } from 'node:crypto'
import type { Db } from '../db/database.js'
import { type AuditActor, recordAudit } from '../audit/audit.js'
import type { Log } from '../log.js'
import { getTenantById, type Tenant, type TenantUrls } from '../tenants/tenants.js'
import { applyRows, type ChunkContext, type RowOutcome } from './apply.js'
import { loadCatalogue } from './grant.js'
import * as q from './imports.queries.js'
import type { ImportActor } from './stage.js'

// The import job: any number of runners (gateway processes, the CLI) take queued imports
// under a lease (SKIP LOCKED) and apply them a chunk at a time. A chunk's changes, its rows'
// outcomes and the progress commit in one transaction, so after a crash the next runner
// starts at the first row not committed: no row is applied twice, none is skipped.

export type RunImportsDeps = {
  secretKey: string
  urls: TenantUrls
  log: Log
  chunkSize?: number
  leaseMs?: number
  /** This runner's name in the lease; default: a new id. */
  owner?: string
  now?: () => Date
  /** Tests: stop (as a killed process would) after this many chunks, the lease left held. */
  stopAfterChunks?: number
  onProgress?: (p: { importId: string; done: number; total: number }) => void
  /** The process is stopping: no chunk or import is started after the one in hand commits. */
  signal?: AbortSignal
}

const ANALYZE_EVERY_CHUNKS = 10

class LeaseLost extends Error {
  override readonly name = 'LeaseLost'
}

/** Applies every import it can claim; returns how many it finished. */
export async function runImports(db: Db, deps: RunImportsDeps): Promise<{ finished: number }> {
  const owner = deps.owner ?? randomUUID()
  const now = deps.now ?? (() => new Date())
  const leaseMs = deps.leaseMs ?? 60_000
  let finished = 0
  let chunks = 0
  for (;;) {
    if (deps.signal?.aborted) return { finished }
    const job = await q.claimImport(db, owner, now(), leaseMs)
    if (!job) return { finished }
    const tenant = await getTenantById(db, job.tenant_id, deps.urls)
    if (!tenant) continue // the tenant went, and its imports with it (cascade)
    try {
      for (;;) {
        if (deps.stopAfterChunks !== undefined && chunks >= deps.stopAfterChunks)
          return { finished }
        // Another process carries on at once from the first row not committed.
        if (deps.signal?.aborted) {
          await q.releaseImport(db, job.id, owner)
          return { finished }
        }
        const applied = await applyNextChunk(db, deps, { job, tenant, owner, leaseMs, now })
        chunks++
        if (applied === 0) break
        if (chunks % ANALYZE_EVERY_CHUNKS === 0)
          await q
            .refreshStatistics(db)
            .catch((err: unknown) => deps.log.warn({ err }, 'analyze failed'))
        deps.onProgress?.({ importId: job.id, done: job.done_rows, total: job.total_rows })
      }
      if (await finish(db, deps, { job, tenant, owner, now: now() })) finished++
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error
      deps.log.warn({ importId: job.id }, 'import lease lost: another runner took it over')
    }
  }
}

type Claimed = {
  job: q.ImportRecord
  tenant: Tenant
  owner: string
  leaseMs: number
  now: () => Date
}

async function applyNextChunk(db: Db, deps: RunImportsDeps, c: Claimed): Promise<number> {
  const size = deps.chunkSize ?? 1_000
  let lines: number[] = []
  try {
    return await db.transaction().execute(async (tx) => {
      const rows = await q.lockPendingRows(tx, c.tenant.id, c.job.id, size)
      lines = rows.map((r) => r.line)
      if (!rows.length) return 0
      const outcomes = await applyRows(tx, await contextOf(tx, deps, c), rows)
      await commitOutcomes(tx, c, outcomes)
      return rows.length
    })
  } catch (error) {
    if (error instanceof LeaseLost || !lines.length) throw error
    // One row the set-based statements could not take must not cost the others: each row
    // again in a transaction of its own.
    deps.log.warn({ err: error, importId: c.job.id }, 'import chunk failed: row by row')
    for (const line of lines) await applyOneRow(db, deps, c, line)
    return lines.length
  }
}

async function applyOneRow(db: Db, deps: RunImportsDeps, c: Claimed, line: number) {
  try {
    await db.transaction().execute(async (tx) => {
      const rows = await q.lockPendingRows(tx, c.tenant.id, c.job.id, 1, line)
      if (!rows.length) return
      await commitOutcomes(tx, c, await applyRows(tx, await contextOf(tx, deps, c), rows))
    })
  } catch (error) {
    if (error instanceof LeaseLost) throw error
    deps.log.error({ err: error, importId: c.job.id, line }, 'import row failed')
    await db.transaction().execute(async (tx) => {
      const rows = await q.lockPendingRows(tx, c.tenant.id, c.job.id, 1, line)
      if (!rows.length) return
      const reason = 'This row could not be applied (an error on our side); the others were.'
      await commitOutcomes(tx, c, [{ line, outcome: 'invalid', reason }])
    })
  }
}

async function commitOutcomes(tx: Db, c: Claimed, outcomes: RowOutcome[]) {
  const until = new Date(c.now().getTime() + c.leaseMs)
  const input = {
    tenantId: c.tenant.id,
    id: c.job.id,
    owner: c.owner,
    rows: outcomes.length,
    until,
  }
  // The lease is checked in the chunk's own transaction: a runner that lost it commits nothing.
  if (!(await q.advanceImport(tx, input))) throw new LeaseLost()
  if (!(await q.markRowsDone(tx, c.tenant.id, c.job.id, outcomes))) throw new LeaseLost()
  c.job.done_rows += outcomes.length
}

async function contextOf(tx: Db, deps: RunImportsDeps, c: Claimed): Promise<ChunkContext> {
  const directoryId = c.tenant.databaseDirectoryId!
  const actor = c.job.actor as unknown as ImportActor
  return {
    tenant: c.tenant,
    directoryId,
    catalogue: await loadCatalogue(tx, c.tenant),
    isDirectoryShared: (await q.countTenantsOfDirectory(tx, directoryId)) > 1,
    hasGroupColumns: c.job.columns.includes('group'),
    actor: actor.member ?? { isPlatform: false },
    invitedBy: actor.audit?.name ?? null,
    secretKey: deps.secretKey,
    now: c.now(),
  }
}

/** Done: the state, and one audit event for the whole import (who, which file, the counts). */
async function finish(
  db: Db,
  deps: RunImportsDeps,
  f: { job: q.ImportRecord; tenant: Tenant; owner: string; now: Date },
) {
  return db.transaction().execute(async (tx) => {
    if ((await q.countPendingRows(tx, f.tenant.id, f.job.id)) > 0) return false
    const ok = await q.finishImport(tx, {
      tenantId: f.tenant.id,
      id: f.job.id,
      owner: f.owner,
      now: f.now,
    })
    if (!ok) return false
    const counts = await q.countOutcomes(tx, f.tenant.id, f.job.id)
    const actor: AuditActor = (f.job.actor as unknown as ImportActor).audit ?? { kind: 'system' }
    // One event for the whole import, as its uploader's change (http/admin-change.ts's shape).
    await recordAudit(tx, {
      tenantId: f.tenant.id,
      actor,
      action: 'import.finished',
      subject: { kind: 'import', id: f.job.id, ...(f.job.file_name && { label: f.job.file_name }) },
      details: { fileName: f.job.file_name, rows: f.job.total_rows, counts },
    })
    deps.log.info(
      {
        event: 'admin_change',
        actor: actor.id ? `${actor.kind}:${actor.id}` : actor.kind,
        tenant: f.tenant.slug,
        action: 'import.finished',
        target: f.job.id,
      },
      'admin change',
    )
    return true
  })
}
