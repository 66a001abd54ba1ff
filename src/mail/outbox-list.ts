import * as z from 'zod'
import type { Db } from '../db/database.js'
import { PG_TIMESTAMPTZ_TEXT, pageCursor } from '../lib/cursor.js'
import { parse } from '../lib/validate.js'
import { listOutbox as query, type OutboxListRow } from './outbox.queries.js'

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const

/** GET /admin/api/v1/tenants/{slug}/outbox: `?status=failed` is the mail that never went. */
export const OutboxQuery = z.strictObject({
  status: z.enum(OUTBOX_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
})

const cursor = pageCursor(z.tuple([z.string().regex(PG_TIMESTAMPTZ_TEXT), z.uuid()]))

/** The tenant's mail, newest first: to whom, which template, how it went (the server's reply). */
export async function listTenantOutbox(db: Db, tenantId: string, input: unknown) {
  const q = parse(OutboxQuery, input)
  const after = q.cursor ? cursor.decode(q.cursor) : undefined
  const rows = await query(db, tenantId, {
    status: q.status,
    ...(after && { after: { createdAt: after[0], id: after[1] } }),
    limit: q.limit + 1,
  })
  const { page, nextCursor } = cursor.page(rows, q.limit, (r) => [r.created_key, r.id])
  return { items: page.map(outboxView), nextCursor }
}

/**
 * The wire shape of a mail: an allowlist. Neither the sealed link nor the rendered body leaves
 * the outbox here; `lastError` is the SMTP server's reply (code and text), free of both.
 */
export function outboxView(row: OutboxListRow) {
  return {
    id: row.id,
    template: row.template,
    locale: row.locale,
    to: { address: row.to_address, name: row.to_name },
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    sentAt: row.sent_at?.toISOString() ?? null,
  }
}
