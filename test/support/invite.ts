import type { Db } from '../../src/db/database.js'
import {
  inviteOne,
  type MailContext,
  planInvitations,
  refusedInvitee,
} from '../../src/invitations/invitations.js'
import type { Tenant } from '../../src/tenants/tenants.js'

/** What POST /admin/api/v1/tenants/:slug/invitations does, without HTTP: one transaction per person. */
export async function inviteMembers(db: Db, tenant: Tenant, input: unknown, ctx: MailContext) {
  const plan = await planInvitations(db, tenant, input)
  const results = [...plan.refused]
  for (const invitee of plan.invitees)
    results.push(
      await db
        .transaction()
        .execute((tx) => inviteOne(tx, tenant, invitee, ctx))
        .catch((err: unknown) => refusedInvitee(err, invitee.person.email)),
    )
  return results
}
