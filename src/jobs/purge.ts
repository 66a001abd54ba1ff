import { recordAudit } from '../audit/audit.js'
import { SYSTEM_ACTOR } from '../audit/system.js'
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
      const usersGone = await deleteOrphanUsers(tx, gone)
      users += usersGone
      // Counts only: naming the people would keep what the purge erases (GDPR).
      if (gone.length > 0)
        await recordAudit(
          tx,
          {
            tenantId: tenant.id,
            actor: SYSTEM_ACTOR,
            action: 'invitation.purged',
            subject: { kind: 'tenant', id: tenant.id, label: tenant.slug },
            details: { memberships: gone.length, users: usersGone, createdBefore: cutoff },
          },
          now,
        )
    })
  }
  return { memberships, users }
}
