import type { Db } from '../db/database.js'
import {
  countFailure,
  createLimiter,
  type Limiter,
  refuseWhenExhausted,
  reward,
} from '../security/limits.js'
import { databaseDirectoryOf, type Tenant } from '../tenants/tenants.js'
import { addressKey, normalizeEmail } from './addresses.js'
import { proveCredential } from './credentials.js'
import type { Hasher } from './hashing.js'
import { openSession } from './login.js'
import { findLoginCandidate } from './users.queries.js'

export type SignInLimits = { perIp: Limiter; perAccount: Limiter; perAccountDaily: Limiter }

/** The limits of the login form; built once per app, their counts live in the database. */
export function signInLimits(db: Db): SignInLimits {
  return {
    // Failures only, per IP and per account: an office behind one address can still sign in.
    perIp: createLimiter(db, { name: 'login-ip', points: 30, durationSeconds: 600 }),
    // Keyed by directory and address, existing or not: the limit itself reveals no account.
    perAccount: createLimiter(db, { name: 'login-account', points: 10, durationSeconds: 900 }),
    // The backoff's second step: past 50 failures in a day an account waits out the day. (After
    // 100 consecutive failures credentials.ts locks it for 24 h or until a reset, as NIST allows.)
    perAccountDaily: createLimiter(db, {
      name: 'login-account-day',
      points: 50,
      durationSeconds: 86_400,
    }),
  }
}

export type SignInResult =
  | { ok: true; session: Awaited<ReturnType<typeof openSession>> }
  /** `refused` covers an unknown email, a wrong password and no membership alike. */
  | { ok: false; reason: 'refused' | 'disabled' }

/**
 * Email + password against the tenant's user database, throttled. A blocked IP or account is
 * refused (rate_limited) before any password hashing; only failures are counted, and a
 * success forgets the account's count. The new session says the step the user still owes.
 */
export async function signIn(
  db: Db,
  tenant: Tenant,
  input: { email: string; password: string; clientKey: string },
  deps: { limits: SignInLimits; hasher: Hasher },
  now = new Date(),
): Promise<SignInResult> {
  const { limits } = deps
  const directoryId = tenant.databaseDirectoryId ?? (await databaseDirectoryOf(db, tenant.id)).id
  const address = normalizeEmail(input.email)
  // Counted under the key the lookup uses (addressKey), like the reset form's limit.
  const account = `${directoryId}:${addressKey(input.email)}`
  const ip = `${tenant.id}:${input.clientKey}`
  const [, accountCounted] = await refuseWhenExhausted(db, [
    [limits.perIp, ip],
    [limits.perAccount, account],
    [limits.perAccountDaily, account],
  ])
  const found = address.ok
    ? await findLoginCandidate(db, { tenantId: tenant.id, directoryId, emailKey: address.key })
    : undefined
  const proven = await proveCredential(db, found?.credential, input.password, deps.hasher, now)
  const membership = found?.membership
  // Someone invited here who already has this customer's password accepts through the link
  // (it asks for that password): until then this store does not know them.
  if (!proven || !found || !membership || membership.status !== 'active') {
    await Promise.all([
      countFailure(limits.perIp, ip),
      countFailure(limits.perAccount, account),
      countFailure(limits.perAccountDaily, account),
    ])
    const disabled = proven && membership?.status === 'disabled'
    return { ok: false, reason: disabled ? 'disabled' : 'refused' }
  }
  if (accountCounted) await reward(limits.perAccount, account)
  const user = found.user
  const session = await openSession(db, tenant, { membership, user, password: input.password }, now)
  return { ok: true, session }
}
