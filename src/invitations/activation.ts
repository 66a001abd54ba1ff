import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { hasPassword, setTenantPassword, verifyPassword } from '../identity/credentials.js'
import type { Hasher } from '../identity/hashing.js'
import { activateMembership, findUser } from '../identity/memberships.js'
import { hashToken, TOKEN_PATTERN } from '../lib/tokens.js'
import type { Tenant } from '../tenants/tenants.js'
import * as queries from './invitations.queries.js'

const INVALID = 'This link is no longer valid. Ask your administrator for a new invitation.'

/** What the invitation page shows; unknown, used, revoked and expired links are indistinguishable. */
export async function openInvitation(db: Db, tenant: Tenant, token: string, now = new Date()) {
  const invitation = TOKEN_PATTERN.test(token)
    ? await queries.findUsableByTokenHash(db, tenant.id, hashToken(token), now)
    : undefined
  if (!invitation) throw new AppError('invitation_invalid', INVALID)
  return {
    invitation,
    hasPassword: await hasPassword(db, invitation.directory_id, invitation.user_id),
  }
}

/**
 * Spends the link and activates the membership. A new user sets a password under this
 * tenant's policy; a user who already has one in this directory (a second store of the same
 * customer) proves it first, outside the claim, so a wrong guess counts towards the lockout
 * and does not spend the link. The claim, the password and the activation commit together:
 * a rejected password rolls the claim back.
 */
export async function acceptInvitation(
  db: Db,
  tenant: Tenant,
  input: { token: string; password: string },
  hasher: Hasher,
  now = new Date(),
) {
  const { invitation, hasPassword: existing } = await openInvitation(db, tenant, input.token, now)
  if (existing) {
    const proven = await verifyPassword(
      db,
      {
        directoryId: invitation.directory_id,
        emailKey: invitation.email_key,
        password: input.password,
      },
      hasher,
      now,
    )
    if (!proven) throw new AppError('unauthorized', 'The password is incorrect.')
  }
  return db.transaction().execute(async (tx) => {
    const claimed = await queries.claimInvitation(tx, tenant.id, hashToken(input.token), now)
    if (!claimed) throw new AppError('invitation_invalid', INVALID)
    if (!existing) {
      const person = { ...invitation, id: invitation.user_id }
      await setTenantPassword(tx, tenant, person, input.password, hasher, now)
    }
    const membership = await activateMembership(tx, tenant.id, claimed.membership_id, now)
    const user = await findUser(tx, invitation.directory_id, invitation.user_id)
    if (!membership || !user) throw new AppError('invitation_invalid', INVALID)
    return { membership, user, invitation, passwordWasSet: !existing }
  })
}
