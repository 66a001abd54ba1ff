import { userInfo } from 'node:os'
import type { Response } from 'express'
import {
  type AuditActor,
  type AuditSubject,
  auditActorOf,
  auditIpOf,
  recordAudit,
} from '../audit/audit.js'
import type { Db, Tx } from '../db/database.js'
import type { Log } from '../log.js'

// Who changed what, through the admin API or the CLI: one audit event (audit/audit.ts) and one
// structured log line (`event: 'admin_change'`) from the same call, so neither can be forgotten.
// Never a request body: bodies carry secrets.

export type AdminChange = {
  /** Null: a platform change (a tenant created by a platform key). */
  tenant: { id: string; slug?: string } | null
  /** `<subject>.<verb>` in the past tense: 'host.added', 'invitation.resent'. */
  action: string
  subject: AuditSubject
  details?: Record<string, unknown>
}

type Who = { actor: AuditActor; ip?: string | undefined }

export async function recordChange(db: Db | Tx, log: Log, who: Who, change: AdminChange) {
  await recordAudit(db, {
    tenantId: change.tenant?.id ?? null,
    actor: who.actor,
    action: change.action,
    subject: change.subject,
    ip: who.ip,
    ...(change.details && { details: change.details }),
  })
  const { kind, id, name } = who.actor
  log.info(
    {
      event: 'admin_change',
      actor: id ? `${kind}:${id}` : kind,
      ...(name && { actorName: name }),
      tenant: change.tenant ? (change.tenant.slug ?? change.tenant.id) : null,
      action: change.action,
      target: change.subject.id,
    },
    'admin change',
  )
}

/** The change, made by the request's principal (an API key, or a console admin) from its IP. */
export function recordAdminChange(db: Db | Tx, res: Response, change: AdminChange) {
  return recordChange(db, res.locals.log, { actor: auditActorOf(res), ip: auditIpOf(res) }, change)
}

/** The change, made at the server with the gateway CLI (by this OS user). */
export function recordCliChange(db: Db | Tx, log: Log, change: AdminChange) {
  return recordChange(db, log, { actor: cliActor() }, change)
}

function cliActor(): AuditActor {
  try {
    return { kind: 'cli', name: userInfo().username }
  } catch {
    return { kind: 'cli' } // no passwd entry for this uid (some containers)
  }
}
