import type { AuditActor } from './audit.js'

/** The gateway's own jobs (reminders, purges). */
export const SYSTEM_ACTOR: AuditActor = { kind: 'system', name: 'gateway jobs' }
