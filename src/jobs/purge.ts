import type { Db } from '../db/database.js'
import {
  deleteOrphanUsers,
  deleteStaleInvitedMemberships,
} from '../invitations/invitations.queries.js'
import { durationMs } from '../lib/duration.js'
import { tenantsWithSettings } from '../tenants/tenants.js'

/**
 * GDPR (seeds: "after 60 days your unregistered account is removed"): never-activated
 * memberships older than the tenant's retention go with their invitations, and an identity goes
 * with its last membership. Deletes are idempotent, so several processes may run this at once.
 */
export async function purgeNeverActivated(db: Db, now = new Date()) {
  let memberships = 0
  let users = 0
  for (const tenant of await tenantsWithSettings(db)) {
    const cutoff = new Date(now.getTime() - durationMs(tenant.settings.retention))
    await db.transaction().execute(async (tx) => {
      const gone = await deleteStaleInvitedMemberships(tx, tenant.id, cutoff)
      memberships += gone.length
      users += await deleteOrphanUsers(tx, gone)
    })
  }
  return { memberships, users }
}
