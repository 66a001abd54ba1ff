import { recordAudit } from '../audit/audit.js'
import { SYSTEM_ACTOR } from '../audit/system.js'
import type { Db } from '../db/database.js'
import { mailInvitation } from '../invitations/invitation-mail.js'
import { lockRemindable, markReminded } from '../invitations/invitations.queries.js'
import { reminderLink } from '../invitations/lifecycle.js'
import { durationMs } from '../lib/duration.js'
import { TenantSettings } from '../tenants/settings.js'
import { getTenantById, type TenantUrls } from '../tenants/tenants.js'

const MIN_QUIET_MS = 3_600_000 // no tenant is reminded more often than hourly

/**
 * Sends the reminder of every pending invitation (expired ones with a fresh link) whose tenant's reminder interval has passed
 * since the last mail, in one transaction: the reminder is written and marked together.
 */
export async function remindPendingInvitations(
  db: Db,
  deps: {
    secretKey: string
    urls: TenantUrls
    now?: Date
  },
) {
  const now = deps.now ?? new Date()
  return db.transaction().execute(async (tx) => {
    let reminded = 0
    for (const row of await lockRemindable(tx, now, MIN_QUIET_MS, 200)) {
      const settings = TenantSettings.safeParse(row.tenant_settings)
      if (!settings.success || !row.token_sealed) continue // a misconfigured tenant is reported where it is served
      const last = row.last_reminded_at ?? row.last_sent_at
      if (now.getTime() - last.getTime() < durationMs(settings.data.reminderInterval)) continue
      const tenant = await getTenantById(tx, row.tenant_id, deps.urls)
      if (!tenant) continue
      const { token_sealed } = row
      const link = await reminderLink(tx, tenant, { ...row, token_sealed }, { ...deps, now })
      await mailInvitation(tx, tenant, {
        person: row,
        invitation: link.invitation,
        token: link.token,
        template: 'reminder',
        directoryId: row.invitation_directory_id,
        secretKey: deps.secretKey,
      })
      await markReminded(tx, row.tenant_id, row.id, now)
      const subject = { kind: 'invitation', id: row.id, label: row.email }
      await recordAudit(
        tx,
        { tenantId: row.tenant_id, actor: SYSTEM_ACTOR, action: 'invitation.reminded', subject },
        now,
      )
      reminded++
    }
    return reminded
  })
}
