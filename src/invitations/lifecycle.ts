import * as z from 'zod'
import type { Db, Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import { durationMs } from '../lib/duration.js'
import { open, seal } from '../lib/seal.js'
import { hashToken, newToken } from '../lib/tokens.js'
import type { Tenant } from '../tenants/tenants.js'
import { mailInvitation } from './invitation-mail.js'
import type { MailContext } from './invitations.js'
import * as queries from './invitations.queries.js'
import { invitationStatus, resendAvailableAt } from './status.js'

// What an admin does to an invitation after sending it: resend, reinvite, revoke.

export async function requireInvitation(db: Db, tenantId: string, id: string) {
  const invitation = z.uuid().safeParse(id).success
    ? await queries.findInvitation(db, tenantId, id)
    : undefined
  if (!invitation) throw new AppError('not_found', 'There is no such invitation.')
  return invitation
}

/** Sends the current link again, at most once per cooldown (24 h by default). */
export async function resendInvitation(tx: Tx, tenant: Tenant, id: string, ctx: MailContext) {
  const now = ctx.now ?? new Date()
  const invitation = await requireInvitation(tx, tenant.id, id)
  if (invitationStatus(invitation, now) !== 'pending' || !invitation.token_sealed) {
    throw new AppError(
      'conflict',
      'Only a pending invitation can be resent. Reinvite to send a new link.',
      {
        details: { status: invitationStatus(invitation, now) },
      },
    )
  }
  const availableAt = resendAvailableAt(invitation, tenant.settings)
  const resent =
    availableAt <= now &&
    (await queries.markResent(
      tx,
      tenant.id,
      id,
      new Date(now.getTime() - durationMs(tenant.settings.resendCooldown)),
      now,
    ))
  if (!resent) {
    throw new AppError(
      'rate_limited',
      'This invitation was sent recently. It can be resent later.',
      {
        details: {
          resendAvailableAt: availableAt.toISOString(),
          retryAfterSeconds: Math.max(1, (availableAt.getTime() - now.getTime()) / 1000),
        },
      },
    )
  }
  await mailInvitation(tx, tenant, {
    person: invitation,
    invitation: resent,
    token: open(ctx.secretKey, 'invitation', invitation.token_sealed),
    template: 'invitation',
    directoryId: invitation.invitation_directory_id,
    secretKey: ctx.secretKey,
  })
  return resent
}

/**
 * The link a reminder carries: the current one while it lives; once it has expired, a new token
 * and a new expiry (one rule: a pending person is reminded with a link that works, until the
 * purge). Quiet about it: the reminder is its mail, and the resend cooldown is left alone.
 */
export async function reminderLink(
  tx: Tx,
  tenant: Tenant,
  invitation: queries.Invitation & { token_sealed: Uint8Array },
  ctx: MailContext & { now: Date },
): Promise<{ invitation: queries.Invitation; token: string }> {
  if (invitation.expires_at > ctx.now)
    return { invitation, token: open(ctx.secretKey, 'invitation', invitation.token_sealed) }
  const token = newToken()
  const renewed = await queries.refreshExpiredLink(tx, tenant.id, invitation.id, {
    hash: hashToken(token),
    sealed: seal(ctx.secretKey, 'invitation', token),
    expiresAt: new Date(ctx.now.getTime() + durationMs(tenant.settings.invitationTtl)),
    now: ctx.now,
  })
  if (!renewed) throw new Error('a locked pending invitation could not be renewed')
  return { invitation: renewed, token }
}

/** New token and new expiry; every earlier link of this invitation stops working at once. */
export async function reinvite(tx: Tx, tenant: Tenant, id: string, ctx: MailContext) {
  const now = ctx.now ?? new Date()
  const invitation = await requireInvitation(tx, tenant.id, id)
  if (invitation.status === 'accepted')
    throw new AppError('conflict', 'This invitation was already accepted.')
  const token = newToken()
  const renewed = await queries.renewInvitation(
    tx,
    tenant.id,
    id,
    {
      hash: hashToken(token),
      sealed: seal(ctx.secretKey, 'invitation', token),
      expiresAt: new Date(now.getTime() + durationMs(tenant.settings.invitationTtl)),
      locale: invitation.locale,
    },
    now,
  )
  if (!renewed) throw new AppError('conflict', 'This invitation was already accepted.')
  await mailInvitation(tx, tenant, {
    person: invitation,
    invitation: renewed,
    token,
    template: 'invitation',
    directoryId: invitation.invitation_directory_id,
    secretKey: ctx.secretKey,
  })
  return renewed
}

export async function revokeInvitation(db: Db, tenant: Tenant, id: string, now = new Date()) {
  const invitation = await requireInvitation(db, tenant.id, id)
  const revoked = await queries.revokeInvitation(db, tenant.id, id, now)
  if (!revoked)
    throw new AppError(
      'conflict',
      `Only a pending invitation can be revoked (this one is ${invitationStatus(invitation, now)}).`,
    )
  return revoked
}
