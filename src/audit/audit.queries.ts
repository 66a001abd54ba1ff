import { sql } from 'kysely'
import type { Db, Tx } from '../db/database.js'
import type { AuditActorKind } from '../db/schema.js'

export type AuditRow = {
  tenant_id: string | null
  actor_kind: AuditActorKind
  actor_id: string | null
  actor_name: string | null
  action: string
  subject_kind: string | null
  subject_id: string | null
  subject_label: string | null
  ip: string | null
  details: string
  at: Date
}

export async function insertAuditEvent(db: Db, row: AuditRow): Promise<void> {
  await db.insertInto('audit_events').values(row).execute()
}

export type AuditFilter = {
  /** A tenant's events; null: platform events; 'all': every event (platform keys). */
  scope: string | null | 'all'
  actor?: string
  actorKind?: AuditActorKind
  subject?: { kind?: string; id?: string }
  /** Exact, or a prefix when it ends with a dot ('invitation.'). */
  action?: string
  since?: Date
  until?: Date
  /** Keyset: events strictly older than (at, id). */
  before?: { atKey: string; id: string }
  limit: number
}

export function listAuditEvents(db: Db, f: AuditFilter) {
  let q = db.selectFrom('audit_events').select([
    sql<string>`id::text`.as('id'),
    // The cursor keeps at to the microsecond (a JS Date would round it).
    sql<string>`at::text`.as('at_key'),
    'tenant_id',
    'at',
    'actor_kind',
    'actor_id',
    'actor_name',
    'action',
    'subject_kind',
    'subject_id',
    'subject_label',
    'ip',
    'details',
  ])
  if (f.scope === null) q = q.where('tenant_id', 'is', null)
  else if (f.scope !== 'all') q = q.where('tenant_id', '=', f.scope)
  // An email address (no id has an @) is matched on the name or label the event was written
  // with, case-insensitively (migration 20261202_1250's indexes); anything else is an id.
  if (f.actor !== undefined)
    q = f.actor.includes('@')
      ? q.where(sql<string>`lower(actor_name)`, '=', f.actor.toLowerCase())
      : q.where('actor_id', '=', f.actor)
  if (f.actorKind !== undefined) q = q.where('actor_kind', '=', f.actorKind)
  if (f.subject?.kind !== undefined) q = q.where('subject_kind', '=', f.subject.kind)
  if (f.subject?.id !== undefined)
    q = f.subject.id.includes('@')
      ? q.where(sql<string>`lower(subject_label)`, '=', f.subject.id.toLowerCase())
      : q.where('subject_id', '=', f.subject.id)
  if (f.action !== undefined)
    q = f.action.endsWith('.')
      ? // text_pattern_ops index; the prefix is escaped so '_' and '%' match themselves
        q.where('action', 'like', `${f.action.replace(/[\\%_]/g, '\\$&')}%`)
      : q.where('action', '=', f.action)
  if (f.since) q = q.where('at', '>=', f.since)
  if (f.until) q = q.where('at', '<', f.until)
  if (f.before) {
    const { atKey, id } = f.before
    q = q.where(sql<boolean>`(at, id) < (${atKey}::timestamptz, ${id}::bigint)`)
  }
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(f.limit).execute()
}

/**
 * The retention purge: the only DELETE the table's trigger lets through, because this
 * transaction says it is the purge (set_config(..., true) ends with the transaction).
 */
export async function deleteAuditEventsBefore(
  tx: Tx,
  scope: { tenantId: string } | { orphans: true },
  cutoff: Date,
): Promise<number> {
  await sql`select set_config('gateway.audit_purge', 'on', true)`.execute(tx)
  let q = tx.deleteFrom('audit_events').where('at', '<', cutoff)
  q =
    'tenantId' in scope
      ? q.where('tenant_id', '=', scope.tenantId)
      : // platform events, and those of a tenant that no longer exists
        q.where((eb) =>
          eb.or([
            eb('tenant_id', 'is', null),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('tenants')
                  .select('tenants.id')
                  .whereRef('tenants.id', '=', 'audit_events.tenant_id'),
              ),
            ),
          ]),
        )
  const result = await q.executeTakeFirst()
  return Number(result.numDeletedRows)
}
