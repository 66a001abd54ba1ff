import type { Response } from 'express'
import type { MemberActor } from './members.js'

/**
 * Who acts through the admin API: a platform principal or not, and, for an admin's console
 * session, their own membership (they may not disable themselves or drop their own admin role).
 */
export function actorOf(res: Response): MemberActor {
  const principal = res.locals.principal
  return {
    isPlatform: principal?.tenantId === null,
    ...(principal?.kind === 'session' && { membershipId: principal.membershipId }),
  }
}
