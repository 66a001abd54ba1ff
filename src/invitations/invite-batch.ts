import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import type { Tenant } from '../tenants/tenants.js'
import {
  type InvitationPlan,
  type InviteResult,
  inviteOne,
  type MailContext,
} from './invitations.js'

/**
 * Invites everyone in the plan, one transaction per person: one failure never undoes the
 * invitations already sent. Takes the pool, never a caller's Tx, since it opens those
 * transactions itself.
 */
export async function inviteEach(
  db: Db,
  tenant: Tenant,
  plan: InvitationPlan,
  ctx: MailContext,
): Promise<InviteResult[]> {
  const results = [...plan.refused]
  for (const invitee of plan.invitees)
    results.push(
      await db
        .transaction()
        .execute((tx) => inviteOne(tx, tenant, invitee, ctx))
        .catch((err: unknown) => refused(err, invitee.person.email)),
    )
  return results
}

// An invitee refused on the way (its mail, say) is its own outcome, not the batch's.
function refused(err: unknown, email: string): InviteResult {
  if (!(err instanceof AppError) || err.code !== 'invalid_request') throw err
  return { email, status: 'invalid', reason: err.message }
}
