import type { Db } from '../../src/db/database.js'
import { inviteEach } from '../../src/invitations/invite-batch.js'
import { type MailContext, planInvitations } from '../../src/invitations/invitations.js'
import type { Tenant } from '../../src/tenants/tenants.js'

/** What POST /admin/api/v1/tenants/:slug/invitations does, without HTTP: one transaction per person. */
export async function inviteMembers(db: Db, tenant: Tenant, input: unknown, ctx: MailContext) {
  return inviteEach(db, tenant, await planInvitations(db, tenant, input), ctx)
}
