import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import { AppError } from '../errors.js'
import type { Tenant } from '../tenants/tenants.js'
import { passwordContext, setTenantPassword, verifyPassword } from './credentials.js'
import type { Hasher } from './hashing.js'
import { checkPassword, type PasswordProblem } from './password-policy.js'
import { endOtherSessions, type Session, setSessionPending, startSession } from './sessions.js'
import { termsOwed } from './terms.js'
import { findUser, type Membership, type User } from './users.queries.js'

/**
 * A session for someone whose password was just proven (login, or an invitation accepted),
 * with the step they still owe: a password below this tenant's policy, then the Terms.
 */
export async function openSession(
  db: Db,
  tenant: Tenant,
  input: { membership: Pick<Membership, 'id'>; user: User; password: string },
  now = new Date(),
) {
  const { membership, user } = input
  const pending: SessionPending | null = weakPassword(tenant, user, input.password)
    ? 'password_change'
    : await termsStep(db, tenant, membership.id)
  const session = await startSession(
    db,
    { tenantId: tenant.id, membershipId: membership.id, pending },
    now,
  )
  return { ...session, pending, membership, user }
}

/** A password proven right that this tenant's policy no longer accepts: it must be changed first. */
export const weakPassword = (
  tenant: Tenant,
  user: Pick<User, 'email' | 'first_name' | 'last_name'>,
  password: string,
) =>
  checkPassword(tenant.settings.passwordPolicy, password, passwordContext(tenant, user)).length > 0

const termsStep = async (db: Db, tenant: Tenant, membershipId: string) =>
  (await termsOwed(db, tenant, membershipId)) ? ('terms' as const) : null

/** The step after a password change or a Terms acceptance: terms if still owed, else none. */
export async function nextStep(
  db: Db,
  tenant: Tenant,
  session: Session,
): Promise<SessionPending | null> {
  const pending = (await termsOwed(db, tenant, session.membership_id)) ? 'terms' : null
  if (pending !== session.pending) await setSessionPending(db, tenant.id, session, pending)
  return pending
}

export type ChangePasswordResult =
  | { ok: true; pending: SessionPending | null }
  | { ok: false; reason: 'wrong_current' }
  | { ok: false; reason: 'rejected'; problems: PasswordProblem[] }

/**
 * A new password under this tenant's policy; the user's other sessions end. Outside the forced
 * step after login, the current password is asked first: a stolen session cookie alone must
 * not be enough to take the account over.
 */
export async function changePassword(
  db: Db,
  tenant: Tenant,
  session: Session,
  input: { current?: string | undefined; password: string },
  hasher: Hasher,
  now = new Date(),
): Promise<ChangePasswordResult> {
  const user = await findUser(db, session.directory_id, session.user_id)
  if (!user) throw new AppError('unauthorized', 'Please sign in again.')
  if (session.pending !== 'password_change') {
    const proven = await verifyPassword(
      db,
      {
        directoryId: session.directory_id,
        emailKey: user.email_key,
        password: input.current ?? '',
      },
      hasher,
      now,
    )
    if (!proven) return { ok: false, reason: 'wrong_current' }
  }
  const policy = tenant.settings.passwordPolicy
  const problems = checkPassword(policy, input.password, passwordContext(tenant, user))
  if (problems.length > 0) return { ok: false, reason: 'rejected', problems }
  await setTenantPassword(db, tenant, user, input.password, hasher, now)
  await endOtherSessions(db, session.directory_id, user.id, session.idHash)
  return { ok: true, pending: await nextStep(db, tenant, { ...session, pending: null }) }
}
