import type { Db } from '../db/database.js'

// audit: a stand-in for recordAudit of src/audit/audit.ts (issue 11's audit branch), with its
// signature, so the merger replaces this import and nothing else. Until then it records nothing.
export type AuditActor = {
  kind: 'admin' | 'api_key' | 'cli' | 'system' | 'person' | 'anonymous'
  id?: string
  name?: string
}
export type AuditEvent = {
  tenantId: string | null
  actor: AuditActor
  action: string
  subject?: { kind: string; id: string; label?: string }
  ip?: string | undefined
  details?: Record<string, unknown>
}

export async function recordAudit(_db: Db, _event: AuditEvent, _now?: Date): Promise<void> {}
