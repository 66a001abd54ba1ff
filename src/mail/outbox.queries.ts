import { type Insertable, type Selectable, sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { OutboxStatus, OutboxTable } from '../db/schema.js'

/** An outbox row with the name of its tenant (the From name). */
export type OutboxMail = Selectable<OutboxTable> & { tenant_name: string }

export function insertMail(db: Db, row: Insertable<OutboxTable>): Promise<{ id: string }> {
  return db.insertInto('outbox').values(row).returning('id').executeTakeFirstOrThrow()
}

function mailWithTenant(db: Db) {
  return db
    .selectFrom('outbox')
    .innerJoin('tenants', 'tenants.id', 'outbox.tenant_id')
    .selectAll('outbox')
    .select('tenants.name as tenant_name')
}

/**
 * Due pending mail, locked for this transaction. SKIP LOCKED lets every gateway process take a
 * different batch; `of outbox` leaves the tenant rows unlocked, or two senders would wait on (or
 * skip every mail of) the same tenant.
 */
export function lockDueMail(db: Db, now: Date, limit: number): Promise<OutboxMail[]> {
  return mailWithTenant(db)
    .where('outbox.status', '=', 'pending')
    .where('outbox.next_attempt_at', '<=', now)
    .orderBy('outbox.next_attempt_at')
    .orderBy('outbox.created_at')
    .limit(limit)
    .forUpdate('outbox')
    .skipLocked()
    .execute()
}

export function listTenantMail(db: Db, tenantId: string, limit: number): Promise<OutboxMail[]> {
  return mailWithTenant(db)
    .where('outbox.tenant_id', '=', tenantId)
    .orderBy('outbox.created_at', 'desc')
    .orderBy('outbox.id', 'desc')
    .limit(limit)
    .execute()
}

/** Sent: the sealed link is wiped, so the outbox no longer holds a live credential. */
export async function markSent(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'sent', sent_at: now, last_attempt_at: now, secret: null, last_error: null })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute()
}

export async function markAttemptFailed(
  db: Db,
  id: string,
  outcome: {
    attempts: number
    status: OutboxStatus
    nextAttemptAt: Date
    lastError: string
    attemptedAt: Date
  },
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({
      attempts: outcome.attempts,
      last_attempt_at: outcome.attemptedAt,
      status: outcome.status,
      next_attempt_at: outcome.nextAttemptAt,
      last_error: outcome.lastError,
      // A mail given up on will never need its link again.
      ...(outcome.status === 'failed' ? { secret: null } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute()
}

/** Mail written after `since`, oldest first (the dev log of the embedded default). */
export function listMailSince(db: Db, since: Date, limit: number): Promise<OutboxMail[]> {
  return mailWithTenant(db)
    .where('outbox.created_at', '>', since)
    .orderBy('outbox.created_at')
    .limit(limit)
    .execute()
}

/** Cleanup: sent or abandoned mail is kept 30 days (the dev mailbox, support), then deleted. */
export async function deleteOldMail(db: Db, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - 30 * 86_400_000)
  const result = await db
    .deleteFrom('outbox')
    .where('status', 'in', ['sent', 'failed'])
    .where('created_at', '<', cutoff)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** A row of the admin API's outbox listing: what was sent to whom and how it went, no content. */
export type OutboxListRow = Pick<
  Selectable<OutboxTable>,
  | 'id'
  | 'template'
  | 'locale'
  | 'to_address'
  | 'to_name'
  | 'status'
  | 'attempts'
  | 'last_error'
  | 'created_at'
  | 'last_attempt_at'
  | 'next_attempt_at'
  | 'sent_at'
> & { created_key: string }

/** The tenant's mail, newest first, one status or all, after a (created_at, id) keyset cursor. */
export function listOutbox(
  db: Db,
  tenantId: string,
  input: { status?: OutboxStatus; after?: { createdAt: string; id: string }; limit: number },
): Promise<OutboxListRow[]> {
  let query = db
    .selectFrom('outbox')
    .select([
      'id',
      'template',
      'locale',
      'to_address',
      'to_name',
      'status',
      'attempts',
      'last_error',
      'created_at',
      'last_attempt_at',
      'next_attempt_at',
      'sent_at',
      sql<string>`created_at::text`.as('created_key'),
    ])
    .where('tenant_id', '=', tenantId)
  if (input.status) query = query.where('status', '=', input.status)
  const after = input.after
  if (after)
    query = query.where(
      sql<boolean>`(created_at, id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
    )
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit).execute()
}
