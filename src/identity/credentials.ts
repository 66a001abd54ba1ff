import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import type { PasswordPolicy } from '../tenants/settings.js'
import * as queries from './credentials.queries.js'
import type { Credential } from './credentials.queries.js'
import type { Hasher } from './hashing.js'
import { expireUnusedResets } from './password-reset.queries.js'
import { checkPassword, type PasswordContext } from './password-policy.js'
import { findUserByEmailKey, type User } from './users.queries.js'

// NIST SP 800-63B-4: at most 100 consecutive failures before the account locks; throttling
// before that comes from the per-account rate limit (http/login), which applies to unknown
// emails alike so it reveals nothing.
export const MAX_CONSECUTIVE_FAILURES = 100
const LOCK_MS = 24 * 3_600_000

/**
 * Checks the policy (every reason at once), hashes, and records the policy it was checked
 * against; the account's grants, tokens and unused reset links end with the old password.
 */
export async function setPassword(
  db: Db,
  input: {
    directoryId: string
    userId: string
    password: string
    policy: PasswordPolicy
    context: PasswordContext
  },
  hasher: Hasher,
  now = new Date(),
): Promise<void> {
  const problems = checkPassword(input.policy, input.password, input.context)
  if (problems.length > 0) {
    throw new AppError('password_rejected', 'The password does not meet the requirements.', {
      details: { problems },
    })
  }
  const hash = await hasher.hash(input.password)
  const change = async (tx: Db) => {
    await queries.saveCredential(tx, {
      directoryId: input.directoryId,
      userId: input.userId,
      hash,
      policy: input.policy,
      now,
    })
    // A new password ends what the old one opened (OWASP ASVS 5.0 V7): every grant and token
    // of the account in each store of the directory, and any reset link still unused.
    await queries.revokeGrantsOfUser(tx, input.directoryId, input.userId)
    await expireUnusedResets(tx, input.directoryId, input.userId, now)
  }
  // One commit: a password without the revocation would leave a stolen token alive.
  await (db.isTransaction ? change(db) : db.transaction().execute(change))
}

type Person = {
  id: string
  directory_id: string
  email: string
  first_name: string | null
  last_name: string | null
}

/** What a password of this person may not contain, in this tenant. */
export const passwordContext = (
  tenant: { name: string },
  person: Omit<Person, 'id' | 'directory_id'>,
): PasswordContext => ({
  email: person.email,
  firstName: person.first_name,
  lastName: person.last_name,
  tenantName: tenant.name,
})

/** A new password for this person under the tenant's policy (activation, reset, change). */
export function setTenantPassword(
  db: Db,
  tenant: { name: string; settings: { passwordPolicy: PasswordPolicy } },
  person: Person,
  password: string,
  hasher: Hasher,
  now = new Date(),
): Promise<void> {
  return setPassword(
    db,
    {
      directoryId: person.directory_id,
      userId: person.id,
      password,
      policy: tenant.settings.passwordPolicy,
      context: passwordContext(tenant, person),
    },
    hasher,
    now,
  )
}

/**
 * The user whose password this is, or undefined. Unknown emails, missing credentials and
 * locked accounts cost one argon2 verification too, so timing does not tell them apart.
 */
export async function verifyPassword(
  db: Db,
  input: { directoryId: string; emailKey: string | undefined; password: string },
  hasher: Hasher,
  now = new Date(),
): Promise<User | undefined> {
  const user = input.emailKey
    ? await findUserByEmailKey(db, input.directoryId, input.emailKey)
    : undefined
  const credential = user && (await queries.findCredential(db, input.directoryId, user.id))
  return (await proveCredential(db, credential, input.password, hasher, now)) ? user : undefined
}

/**
 * Checks a password against a credential already read (or its absence), with the same cost
 * either way; counts consecutive failures, locks after 100, and rehashes on new parameters.
 */
export async function proveCredential(
  db: Db,
  credential: Credential | undefined,
  password: string,
  hasher: Hasher,
  now = new Date(),
): Promise<boolean> {
  const { ok, needsRehash } = await checkCredential(credential, password, hasher, now)
  if (!credential || isLocked(credential, now)) return false
  const account = { directoryId: credential.directory_id, userId: credential.user_id }
  if (!ok) {
    await queries.countFailedLogin(db, account, lockAfterFailures(now)).execute()
    return false
  }
  if (credential.failed_logins > 0) await queries.clearFailedLogins(db, account).execute()
  if (needsRehash) await rehash(db, credential, password, hasher)
  return true
}

export const isLocked = (credential: Pick<Credential, 'locked_until'>, now: Date) =>
  !!credential.locked_until && credential.locked_until > now

/**
 * The hashing half of proving a password, no database: one argon2 verification against the
 * credential, or against the dummy hash when there is none or it is locked, so an unknown
 * address, a missing password and a locked account cost what a wrong password costs.
 */
export async function checkCredential(
  credential: Pick<Credential, 'password_hash' | 'locked_until'> | undefined,
  password: string,
  hasher: Hasher,
  now: Date,
): Promise<{ ok: boolean; needsRehash: boolean }> {
  if (!credential || isLocked(credential, now)) {
    await hasher.verifyDummy(password)
    return { ok: false, needsRehash: false }
  }
  return hasher.verify(credential.password_hash, password)
}

/** A failure counted now locks the account for a day if it is the 100th in a row. */
export const lockAfterFailures = (now: Date) => ({
  at: MAX_CONSECUTIVE_FAILURES,
  until: new Date(now.getTime() + LOCK_MS),
})

/**
 * Best effort: a busy hasher must not fail a login that already succeeded; the next one
 * rehashes. Old parameters and every imported format (bcrypt, scrypt, PBKDF2, argon2i:
 * imported-hashes.ts) are replaced by our argon2id here, at the first successful sign-in.
 */
export async function rehash(
  db: Db,
  credential: Pick<Credential, 'directory_id' | 'user_id' | 'password_hash'>,
  password: string,
  hasher: Hasher,
): Promise<void> {
  const from = credential.password_hash
  await hasher.hash(password).then(
    (to) => queries.replaceHash(db, credential.directory_id, credential.user_id, { from, to }),
    () => undefined,
  )
}

export async function hasPassword(db: Db, directoryId: string, userId: string): Promise<boolean> {
  return (await queries.findCredential(db, directoryId, userId)) !== undefined
}
