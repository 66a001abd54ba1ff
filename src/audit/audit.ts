import type { Response } from 'express'
import type { Db, Tx } from '../db/database.js'
import type { AuditActorKind } from '../db/schema.js'
import { insertAuditEvent } from './audit.queries.js'
import { countSignInEvent } from '../metrics/sign-ins.js'

export type AuditActor = { kind: AuditActorKind; id?: string; name?: string }
export type AuditSubject = { kind: string; id: string; label?: string }
export type AuditEvent = {
  tenantId: string | null
  actor: AuditActor
  /** `<subject>.<verb>`, e.g. 'invitation.resent', 'member.disabled'. */
  action: string
  subject?: AuditSubject
  ip?: string | undefined
  /** Never secrets: no passwords, tokens, keys or request bodies. */
  details?: Record<string, unknown>
}

const clip = (value: string | undefined, max: number) =>
  value === undefined ? null : value.slice(0, max)

/**
 * Appends one event to the audit log (DESIGN.md: who, what, when, from where). Inside the
 * caller's transaction when it passes one, so the event commits or rolls back with the change.
 */
export async function recordAudit(db: Db | Tx, event: AuditEvent, now = new Date()): Promise<void> {
  await insertAuditEvent(db, {
    tenant_id: event.tenantId,
    actor_kind: event.actor.kind,
    actor_id: clip(event.actor.id, 200),
    actor_name: clip(event.actor.name, 200),
    action: event.action.slice(0, 100),
    subject_kind: clip(event.subject?.kind, 100),
    subject_id: clip(event.subject?.id, 500),
    subject_label: clip(event.subject?.label, 500),
    ip: clip(event.ip, 100),
    details: JSON.stringify(event.details ?? {}),
    at: now,
  })
  countSignInEvent(event) // the sign-in metrics follow the log (metrics/sign-ins.ts)
}

/**
 * The actor of an admin API request: its API key, or the admin of a console session (a
 * principal carrying `membershipId`/`userId`, whatever its exact shape once the console lands).
 */
export function auditActorOf(res: Response): AuditActor {
  const principal: unknown = res.locals.principal
  if (!principal || typeof principal !== 'object') return { kind: 'anonymous' }
  const p = principal as Record<string, unknown>
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined)
  const name = text(p.name) ?? text(p.email)
  const adminId = text(p.membershipId) ?? text(p.userId)
  if (adminId) return { kind: 'admin', id: adminId, ...(name ? { name } : {}) }
  // A machine app's client-credentials token: recorded as a key-like actor, by its client id.
  const keyId = text(p.keyId) ?? text(p.clientId)
  return { kind: 'api_key', ...(keyId ? { id: keyId } : {}), ...(name ? { name } : {}) }
}

/** Where an HTTP request came from (Express's view, which honours TRUST_PROXY). */
export function auditIpOf(res: Response): string | undefined {
  return res.req.ip ?? res.req.socket.remoteAddress
}

/** The top-level fields whose value changed, before and after (settings hold no secrets). */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {}
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)]))
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      changes[key] = { from: before[key] ?? null, to: after[key] ?? null }
  return changes
}
