import type { Response } from 'express'
import type { AuditEvent } from './audit-hook.js'
import type { MemberActor } from './members.js'

/** The actor of an admin API request: an API key (no membership of its own), for now. */
export function actorOf(res: Response): MemberActor & { audit: AuditEvent['actor'] } {
  const principal = res.locals.principal
  const withMembership = principal as { membershipId?: string } | undefined
  return {
    isPlatform: principal?.tenantId === null,
    ...(withMembership?.membershipId && { membershipId: withMembership.membershipId }),
    audit: principal
      ? { kind: 'api_key', id: principal.keyId, name: principal.name }
      : { kind: 'anonymous' },
  }
}
