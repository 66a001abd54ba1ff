import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import type { Session } from '../identity/sessions.js'
import { invitationLink } from '../invitations/invitation-mail.js'
import { inviteEach } from '../invitations/invite-batch.js'
import { type MailContext, planInvitations } from '../invitations/invitations.js'
import type { Duration } from '../lib/duration.js'
import { open } from '../lib/seal.js'
import type { Tenant } from '../tenants/tenants.js'
import { findPendingInvitationSeal } from './admins.queries.js'

export const ADMIN_ROLE = 'admin'

/**
 * A tenant's admin: a member (never a guest) whose role is "admin", signed in with every step
 * the session owes done (a password change or Terms the store asks for come first).
 */
export const isAdminSession = (session: Session | undefined): boolean =>
  session !== undefined &&
  session.pending === null &&
  session.kind === 'member' &&
  session.role === ADMIN_ROLE

export type AdminInvitation =
  | { status: 'invited' | 'reinvited'; email: string; link: string; expiresAt: string }
  | { status: 'already_member'; email: string }

/**
 * Invites `email` as an admin of `tenant` (the platform tenant for platform admins), through the
 * invitations every person gets: their mail is queued, and the link is handed back for a person
 * who has no mail yet (no SMTP, the first run). `invitationTtl` shortens the link's life.
 */
export async function inviteAdmin(
  db: Db,
  tenant: Tenant,
  input: { email: string; invitationTtl?: Duration },
  ctx: MailContext,
): Promise<AdminInvitation> {
  // Someone already invited gets a new link: the one in their mailbox may be lost or expired.
  const plan = await planInvitations(db, tenant, {
    emails: input.email,
    role: ADMIN_ROLE,
    reinvite: true,
  })
  const settings = input.invitationTtl
    ? { ...tenant.settings, invitationTtl: input.invitationTtl }
    : tenant.settings
  const [result] = await inviteEach(db, { ...tenant, settings }, plan, ctx)
  if (!result || result.status === 'invalid') {
    const reason = result?.status === 'invalid' ? result.reason : 'no address given'
    throw new AppError('invalid_request', `Cannot invite "${input.email}": ${reason}`)
  }
  if (result.status === 'already_member') return result
  if (result.status === 'already_invited') throw new Error('reinvite: true answers reinvited')
  return {
    status: result.status,
    email: result.email,
    link: await pendingInvitationLink(db, tenant, result.invitationId, ctx.secretKey),
    expiresAt: result.expiresAt,
  }
}

/** The link of a pending invitation, from its sealed token: for a person who has no mail yet. */
export async function pendingInvitationLink(
  db: Db,
  tenant: Tenant,
  invitationId: string,
  secretKey: string,
): Promise<string> {
  const sealed = await findPendingInvitationSeal(db, tenant.id, invitationId)
  if (!sealed) throw new Error(`invitation ${invitationId} vanished`)
  return invitationLink(tenant, open(secretKey, 'invitation', sealed))
}
