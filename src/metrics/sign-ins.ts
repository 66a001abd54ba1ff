import { Counter } from 'prom-client'
import { processMetrics, word } from './registry.js'

const signIns = new Counter({
  name: 'gateway_sign_ins_total',
  help: 'Sign-ins by tenant, method, directory and outcome (reason: why one failed).',
  labelNames: ['tenant', 'method', 'directory', 'outcome', 'reason'] as const,
  registers: [processMetrics],
})

const lockouts = new Counter({
  name: 'gateway_account_lockouts_total',
  help: 'Accounts locked after too many consecutive wrong passwords, by tenant.',
  labelNames: ['tenant'] as const,
  registers: [processMetrics],
})

type Event = { tenantId: string | null; action: string; details?: Record<string, unknown> }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// A directory id is a uuid; a password sign-in is the tenant's own user database.
const directoryOf = (details: Record<string, unknown>) =>
  typeof details.directoryId === 'string' && UUID.test(details.directoryId)
    ? details.directoryId
    : 'database'

/**
 * Counts the sign-in outcomes the audit log records (src/audit/audit.ts calls this for every
 * event it writes): the log already holds one event per outcome on every path, password or
 * enterprise, so the counts cannot drift from it. Labels come from closed vocabularies and ids,
 * never from what a client typed.
 */
export function countSignInEvent(event: Event): void {
  const tenant = event.tenantId ?? 'platform'
  const details = event.details ?? {}
  if (event.action === 'sign_in.locked_out') return lockouts.inc({ tenant })
  const outcome =
    event.action === 'sign_in.succeeded'
      ? 'succeeded'
      : event.action === 'sign_in.failed' || event.action === 'sign_in.sso_refused'
        ? 'failed'
        : undefined
  if (!outcome) return
  signIns.inc({
    tenant,
    method: word(details.method ?? 'password'),
    directory: directoryOf(details),
    outcome,
    reason: outcome === 'failed' ? word(details.reason) : '',
  })
}
