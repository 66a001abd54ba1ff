import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import type { PasswordPolicy } from '../tenants/settings.js'
import * as queries from './credentials.queries.js'
import type { Hasher } from './hashing.js'
import { checkPassword, type PasswordContext } from './password-policy.js'
import { findUserByEmailKey, type User } from './users.queries.js'

// NIST SP 800-63B-4: at most 100 consecutive failures before the account locks; throttling
// before that comes from the per-account rate limit (http/login), which applies to unknown
// emails alike so it reveals nothing.
const MAX_CONSECUTIVE_FAILURES = 100
const LOCK_MS = 24 * 3_600_000

/** Checks the policy (every reason at once), hashes, and records the policy it was checked against. */
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
  await queries.saveCredential(db, {
    directoryId: input.directoryId,
    userId: input.userId,
    hash,
    policy: input.policy,
    now,
  })
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
  if (!user || !credential || (credential.locked_until && credential.locked_until > now)) {
    await hasher.verifyDummy(input.password)
    return undefined
  }
  const { ok, needsRehash } = await hasher.verify(credential.password_hash, input.password)
  if (!ok) {
    const failed = await queries.recordFailedLogin(db, input.directoryId, user.id)
    if ((failed?.failed_logins ?? 0) >= MAX_CONSECUTIVE_FAILURES) {
      await queries.lockCredential(
        db,
        input.directoryId,
        user.id,
        new Date(now.getTime() + LOCK_MS),
      )
    }
    return undefined
  }
  await queries.clearFailedLogins(db, input.directoryId, user.id)
  if (needsRehash)
    await queries.replaceHash(db, input.directoryId, user.id, await hasher.hash(input.password))
  return user
}

export async function hasPassword(db: Db, directoryId: string, userId: string): Promise<boolean> {
  return (await queries.findCredential(db, directoryId, userId)) !== undefined
}
