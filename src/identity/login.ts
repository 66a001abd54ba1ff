import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import { AppError } from '../errors.js'
import { normalizeEmail } from './addresses.js'
import { databaseDirectoryOf, type Tenant } from '../tenants/tenants.js'
import {
  passwordContext,
  proveCredential,
  setTenantPassword,
  verifyPassword,
} from './credentials.js'
import type { Hasher } from './hashing.js'
import { checkPassword } from './password-policy.js'
import { endOtherSessions, type Session, setSessionPending, startSession } from './sessions.js'
import { termsOwed } from './terms.js'
import { findLoginCandidate, findUser, type Membership, type User } from './users.queries.js'

// One message for an unknown email, a wrong password and a missing membership: no enumeration.
const REFUSED = 'The email or password is incorrect.'

/**
 * Email + password against the tenant's user database. Returns a new session and the step the
 * user still owes: a password that no longer meets this tenant's policy (a stricter store of
 * the same directory, or a policy tightened since) must be replaced before anything else.
 */
export async function logIn(
  db: Db,
  tenant: Tenant,
  input: { email: string; password: string },
  hasher: Hasher,
  now = new Date(),
) {
  const directoryId = tenant.databaseDirectoryId ?? (await databaseDirectoryOf(db, tenant.id)).id
  const email = normalizeEmail(input.email)
  const found = email.ok
    ? await findLoginCandidate(db, { tenantId: tenant.id, directoryId, emailKey: email.key })
    : undefined
  if (!(await proveCredential(db, found?.credential, input.password, hasher, now)) || !found) {
    throw new AppError('unauthorized', REFUSED)
  }
  // Someone invited here who already has this customer's password accepts through the link
  // (it asks for that password): until then this store does not know them.
  const membership = found.membership
  if (!membership || membership.status === 'invited') throw new AppError('unauthorized', REFUSED)
  if (membership.status === 'disabled') {
    throw new AppError(
      'forbidden',
      'Your access to this store is disabled. Contact your administrator.',
    )
  }
  return openSession(db, tenant, { membership, user: found.user, password: input.password }, now)
}

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
  const context = passwordContext(tenant, user)
  const weak = checkPassword(tenant.settings.passwordPolicy, input.password, context).length > 0
  const pending: SessionPending | null = weak
    ? 'password_change'
    : (await termsOwed(db, tenant, membership.id))
      ? 'terms'
      : null
  const session = await startSession(
    db,
    { tenantId: tenant.id, membershipId: membership.id, pending },
    now,
  )
  return { ...session, pending, membership, user }
}

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

/**
 * A new password under this tenant's policy; the user's other sessions end. Outside the forced
 * step after login, the current password is asked first: a stolen session cookie alone must
 * not be enough to take the account over.
 */
export async function changePassword(
  db: Db,
  tenant: Tenant,
  session: Session,
  input: { current?: string; password: string },
  hasher: Hasher,
  now = new Date(),
) {
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
    if (!proven) throw new AppError('unauthorized', 'The current password is incorrect.')
  }
  await setTenantPassword(db, tenant, user, input.password, hasher, now)
  await endOtherSessions(db, session.directory_id, user.id, session.idHash)
  return nextStep(db, tenant, { ...session, pending: null })
}
