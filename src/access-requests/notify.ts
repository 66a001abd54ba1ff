import type { Tx } from '../db/database.js'
import { enqueueMail, recipientOf } from '../mail/outbox.js'
import type { Tenant } from '../tenants/tenants.js'
import * as queries from './access-requests.queries.js'
import { unsubscribeUrl } from './unsubscribe-link.js'

const NOTICES_KEPT_DAYS = 7

/** The UTC day "once a day" counts in. */
export const dayOf = (now: Date) => now.toISOString().slice(0, 10)

/**
 * Seed 002: "Request access emails can only be sent once a day to the same admin for the same
 * user. Admins can unsubscribe from these notifications." Each subscribed admin whose notice of
 * this requester today is not claimed yet gets one mail; the claim and the mail commit together
 * with the request (same transaction), and the claim's unique key holds under races.
 */
export async function notifyAdmins(
  tx: Tx,
  tenant: Tenant,
  request: queries.AccessRequest,
  ctx: { secretKey: string; now: Date },
): Promise<number> {
  const day = dayOf(ctx.now)
  const admins = await queries.listSubscribedAdmins(tx, tenant.id)
  let mailed = 0
  for (const admin of admins) {
    const claimed = await queries.claimNotice(tx, {
      tenantId: tenant.id,
      membershipId: admin.membership_id,
      emailKey: request.email_key,
      day,
    })
    if (!claimed) continue
    await enqueueMail(
      tx,
      {
        tenantId: tenant.id,
        template: 'access_request',
        locale: admin.locale ?? tenant.settings.defaultLocale,
        to: recipientOf(admin),
        data: {
          firstName: admin.first_name ?? '',
          requesterEmail: request.email,
          requesterName: request.name,
          requesterMessage: request.message,
        },
        secret: { link: `${tenant.publicUrl}/admin/access-requests` },
        unsubscribeLink: unsubscribeUrl(ctx.secretKey, tenant, admin.membership_id),
      },
      ctx.secretKey,
    )
    mailed++
  }
  const oldest = new Date(ctx.now.getTime() - NOTICES_KEPT_DAYS * 86_400_000)
  await queries.deleteOldNotices(tx, tenant.id, dayOf(oldest))
  return mailed
}
