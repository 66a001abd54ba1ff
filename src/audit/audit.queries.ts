import type { Db } from '../db/database.js'
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
