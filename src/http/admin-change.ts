import type { Response } from 'express'
import type { Log } from '../log.js'

// Who changed what, one structured line per change of the admin API or the CLI (there is no
// audit table yet): `event: 'admin_change'`, the actor (an API key's id and name, or 'cli'),
// the tenant, the action and its target. Never a request body: bodies carry secrets.

export type AdminChange = { tenant: string; action: string; target: string }

export function logAdminChange(
  log: Log,
  actor: { actor: string; actorName?: string },
  change: AdminChange,
): void {
  log.info({ event: 'admin_change', ...actor, ...change }, 'admin change')
}

/** The change, made with the request's API key. */
export function recordAdminChange(res: Response, change: AdminChange): void {
  const principal = res.locals.principal
  const actor = principal
    ? { actor: `api_key:${principal.keyId}`, actorName: principal.name }
    : { actor: 'unknown' }
  logAdminChange(res.locals.log, actor, change)
}
