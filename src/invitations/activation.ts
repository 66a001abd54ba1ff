import type { Db, Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import {
  hasPassword,
  passwordContext,
  setTenantPassword,
  verifyPassword,
} from '../identity/credentials.js'
import type { Hasher } from '../identity/hashing.js'
import { openSession } from '../identity/login.js'
import { activateMembership, findUser, updateUserFields } from '../identity/memberships.js'
import { checkPassword, type PasswordProblem } from '../identity/password-policy.js'
import { hashToken, TOKEN_PATTERN } from '../lib/tokens.js'
import type { Tenant } from '../tenants/tenants.js'
import * as queries from './invitations.queries.js'
import {
  type ProfileField,
  type ProfileProblem,
  profileColumns,
  readProfile,
} from './profile-fields.js'

const INVALID = 'This link is no longer valid. Ask your administrator for a new invitation.'

/** What the invitation page shows; unknown, used, revoked and expired links are all undefined. */
export async function openInvitation(db: Db, tenant: Tenant, token: string, now = new Date()) {
  const invitation = TOKEN_PATTERN.test(token)
    ? await queries.findUsableByTokenHash(db, tenant.id, hashToken(token), now)
    : undefined
  if (!invitation) return undefined
  return {
    invitation,
    hasPassword: await hasPassword(db, invitation.directory_id, invitation.user_id),
  }
}

export type AcceptResult =
  | { ok: true; session: Awaited<ReturnType<typeof openSession>> }
  /** Unknown, used, revoked or expired (or spent by a concurrent acceptance). */
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'wrong_password' }
  /** A refused password, or profile fields the tenant asks for missing or invalid (or both). */
  | {
      ok: false
      reason: 'rejected'
      problems: PasswordProblem[]
      profileProblems: Partial<Record<ProfileField, ProfileProblem>>
    }
  /** An invitation into a company directory: only that directory's sign-in accepts it. */
  | { ok: false; reason: 'company_sign_in'; directoryId: string; invitationId: string }

/**
 * Spends the link, activates the membership and starts a session, in the caller's transaction.
 * A new user sets a password under this tenant's policy; a user who already has one in this
 * directory (a second store of the same customer) proves it first. A wrong or refused password
 * does not spend the link, and the wrong guess still counts towards the lockout: it is
 * answered as a value, so the caller commits the count.
 */
export async function acceptInvitation(
  tx: Tx,
  tenant: Tenant,
  input: { token: string; password: string; profile?: Record<string, unknown> },
  hasher: Hasher,
  now = new Date(),
): Promise<AcceptResult> {
  const opened = await openInvitation(tx, tenant, input.token, now)
  if (!opened) return { ok: false, reason: 'invalid' }
  const { invitation, hasPassword: existing } = opened
  if (invitation.invitation_directory_id) {
    const directoryId = invitation.invitation_directory_id
    return { ok: false, reason: 'company_sign_in', directoryId, invitationId: invitation.id }
  }
  const asked = existing ? [] : tenant.settings.profileFields
  const { profile, problems: profileProblems } = readProfile(asked, input.profile ?? {})
  const columns = profileColumns(profile)
  const person = { ...invitation, ...columns, id: invitation.user_id }
  if (existing) {
    const proven = await verifyPassword(
      tx,
      {
        directoryId: invitation.directory_id,
        emailKey: invitation.email_key,
        password: input.password,
      },
      hasher,
      now,
    )
    if (!proven) return { ok: false, reason: 'wrong_password' }
  } else {
    const policy = tenant.settings.passwordPolicy
    const problems = checkPassword(policy, input.password, passwordContext(tenant, person))
    if (problems.length > 0 || Object.keys(profileProblems).length > 0)
      return { ok: false, reason: 'rejected', problems, profileProblems }
  }
  const claimed = await queries.claimInvitation(tx, tenant.id, hashToken(input.token), now)
  if (!claimed) return { ok: false, reason: 'invalid' }
  if (!existing) await setTenantPassword(tx, tenant, person, input.password, hasher, now)
  await updateUserFields(tx, invitation.directory_id, invitation.user_id, columns, now)
  const membershipId = claimed.membership_id
  const membership = await activateMembership(tx, { tenantId: tenant.id, membershipId }, now)
  const user = await findUser(tx, invitation.directory_id, invitation.user_id)
  // The claim succeeded, so the membership was invited: anything else is a broken invariant,
  // and the throw rolls the claim back.
  if (!membership || !user) throw new AppError('invitation_invalid', INVALID)
  // The session may still owe the Terms, or a stronger password when an existing one (set for
  // another store of the directory) is below this store's policy.
  const session = await openSession(tx, tenant, { membership, user, password: input.password }, now)
  return { ok: true, session }
}
