import * as z from 'zod'
import type { Db } from '../db/database.js'
import { AUDIT_ACTOR_KINDS } from '../db/schema.js'
import { PG_TIMESTAMPTZ_TEXT, pageCursor } from '../lib/cursor.js'
import { parse } from '../lib/validate.js'
import { listAuditEvents } from './audit.queries.js'

// Reading the audit log: filters, newest first, keyset pages on (at, id).

const Text = z.string().trim().min(1).max(200)
export const AuditQuery = z.strictObject({
  actor: Text.optional().describe(
    "The actor's id (an API key id, an admin's membership id), or an admin's email address (any case)",
  ),
  actorKind: z.enum(AUDIT_ACTOR_KINDS).optional(),
  subject: Text.optional().describe(
    "The subject's id (an invitation id, a client_id, a host...), or a person's email address (any case)",
  ),
  subjectKind: Text.optional(),
  /** Exact ('invitation.resent'), or every action under a prefix ending with a dot ('invitation.'). */
  action: z
    .string()
    .regex(
      /^[a-z0-9_.]{1,100}$/,
      'an action such as "invitation.resent", or a prefix "invitation."',
    )
    .optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})

const PlatformAuditQuery = AuditQuery.extend({
  /** 'platform': only the events of no tenant; 'all': every tenant's too. */
  scope: z.enum(['all', 'platform']).default('all'),
})

/** A tenant's events. */
export function listAudit(db: Db, tenantId: string, input: unknown) {
  return page(db, tenantId, parse(AuditQuery, input))
}

/** For platform keys: platform events (tenant null), or every event. */
export function listPlatformAudit(db: Db, input: unknown) {
  const { scope, ...q } = parse(PlatformAuditQuery, input)
  return page(db, scope === 'all' ? 'all' : null, q)
}

async function page(db: Db, scope: string | null, q: z.output<typeof AuditQuery>) {
  const rows = await listAuditEvents(db, {
    scope,
    actor: q.actor,
    actorKind: q.actorKind,
    subject: { kind: q.subjectKind, id: q.subject },
    action: q.action,
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    before: q.cursor ? keysetOf(cursor.decode(q.cursor)) : undefined,
    limit: q.limit + 1,
  })
  const { page, nextCursor } = cursor.page(rows, q.limit, (r) => [r.at_key, r.id])
  return { events: page.map(({ at_key: _, ...row }) => auditEventView(row)), nextCursor }
}

type Row = Omit<Awaited<ReturnType<typeof listAuditEvents>>[number], 'at_key'>

/** The wire shape of an event (an explicit allowlist of columns). */
export function auditEventView(row: Row) {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    at: row.at.toISOString(),
    actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name },
    action: row.action,
    subject:
      row.subject_kind === null
        ? null
        : { kind: row.subject_kind, id: row.subject_id, label: row.subject_label },
    ip: row.ip,
    details: row.details,
  }
}

// A timestamptz as Postgres prints it, and the bigint id.
const cursor = pageCursor(
  z.tuple([z.string().regex(PG_TIMESTAMPTZ_TEXT), z.string().regex(/^\d{1,19}$/)]),
)

const keysetOf = ([atKey, id]: [string, string]) => ({ atKey, id })
