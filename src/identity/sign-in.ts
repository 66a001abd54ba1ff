import { recordAudit } from '../audit/audit.js'
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
import { MAX_CONSECUTIVE_FAILURES, proveCredential } from './credentials.js'
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
  /** `clientKey` keys the limits (an IPv6 /64); `ip` is the address the audit log keeps. */
  input: { email: string; password: string; clientKey: string; ip?: string | undefined },
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
    await auditFailure(db, tenant, { input, found, proven, now })
    return { ok: false, reason: disabled ? 'disabled' : 'refused' }
  }
  if (accountCounted) await reward(limits.perAccount, account)
  const user = found.user
  const session = await openSession(db, tenant, { membership, user, password: input.password }, now)
  const person = { kind: 'member', id: membership.id, label: user.email }
  await recordAudit(
    db,
    {
      tenantId: tenant.id,
      actor: { kind: 'person', id: membership.id, name: user.email },
      action: 'sign_in.succeeded',
      subject: person,
      ip: input.ip,
      details: { method: 'password' },
    },
    now,
  )
  return { ok: true, session }
}

type Candidate = Awaited<ReturnType<typeof findLoginCandidate>>

/**
 * A refused sign-in, for the tenant's admins (the audit log is theirs alone): the address as
 * typed, in details, whether or not it is known; why it was refused; the lockout it caused.
 * Written on every path, so the refusal takes the same work whatever the reason. Never the
 * password.
 */
async function auditFailure(
  db: Db,
  tenant: Tenant,
  a: {
    input: { email: string; ip?: string | undefined }
    found: Candidate
    proven: boolean
    now: Date
  },
) {
  const { found, now } = a
  // Only this tenant's members are named: an address known in a directory this tenant shares
  // with another store, but not a member here, is as unknown here as any other.
  const member = found?.membership && { ...found, membership: found.membership }
  const credential = member?.credential
  const wasLocked = !!credential?.locked_until && credential.locked_until > now
  const reason = !member
    ? 'unknown_account'
    : !credential
      ? 'no_password'
      : wasLocked
        ? 'locked'
        : !a.proven
          ? 'wrong_password'
          : `membership_${member.membership.status}`
  const subject = member
    ? { kind: 'member', id: member.membership.id, label: member.user.email }
    : undefined
  const event = {
    tenantId: tenant.id,
    actor: { kind: 'anonymous' as const },
    ...(subject && { subject }),
    ip: a.input.ip,
  }
  const email = a.input.email.trim().slice(0, 320)
  await recordAudit(db, { ...event, action: 'sign_in.failed', details: { email, reason } }, now)
  // proveCredential locks the account at this many failures in a row (NIST SP 800-63B).
  const failures = (credential?.failed_logins ?? 0) + 1
  if (reason === 'wrong_password' && failures >= MAX_CONSECUTIVE_FAILURES)
    await recordAudit(
      db,
      {
        ...event,
        action: 'sign_in.locked_out',
        details: { email, failures },
      },
      now,
    )
}
