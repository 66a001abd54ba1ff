import { type AuditEvent, auditRow } from '../audit/audit.js'
import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import {
  createLimiter,
  failurePoints,
  type LimitCheck,
  type Limiter,
  refuseWhenExhausted,
  storedKeys,
} from '../security/limits.js'
import { databaseDirectoryOf, type Tenant } from '../tenants/tenants.js'
import { addressKey, normalizeEmail } from './addresses.js'
import {
  checkCredential,
  isLocked,
  lockAfterFailures,
  MAX_CONSECUTIVE_FAILURES,
  rehash,
} from './credentials.js'
import type { Hasher } from './hashing.js'
import { weakPassword } from './login.js'
import { newSessionToken, sessionKeyOf } from './sessions.js'
import { readSignIn, type SignInRead, writeSignIn, writeSignInFailure } from './sign-in.queries.js'
import { owesTerms } from './terms.js'

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
  | {
      ok: true
      session: { token: string; expiresAt: Date; pending: SessionPending | null }
    }
  /** `refused` covers an unknown email, a wrong password and no membership alike. */
  | { ok: false; reason: 'refused' | 'disabled' }

/**
 * Email + password against the tenant's user database, throttled. A blocked IP or account is
 * refused (rate_limited) before any password hashing; only failures are counted, and a
 * success forgets the account's count. The new session says the step the user still owes; it
 * replaces the browser's previous one (`replaces`, the token of the session cookie it sent).
 * Two statements either way (sign-in.queries.ts), whatever the outcome.
 */
export async function signIn(
  db: Db,
  tenant: Tenant,
  /** `clientKey` keys the limits (an IPv6 /64); `ip` is the address the audit log keeps. */
  input: {
    email: string
    password: string
    clientKey: string
    ip?: string | undefined
    replaces?: string | undefined
  },
  deps: { limits: SignInLimits; hasher: Hasher },
  now = new Date(),
): Promise<SignInResult> {
  const { limits } = deps
  const directoryId = tenant.databaseDirectoryId ?? (await databaseDirectoryOf(db, tenant.id)).id
  const address = normalizeEmail(input.email)
  // Counted under the key the lookup uses (addressKey), like the reset form's limit.
  const account = `${directoryId}:${addressKey(input.email)}`
  const checks: LimitCheck[] = [
    [limits.perIp, `${tenant.id}:${input.clientKey}`],
    [limits.perAccount, account],
    [limits.perAccountDaily, account],
  ]
  const { counts, found } = await readSignIn(db, {
    tenantId: tenant.id,
    directoryId,
    emailKey: address.ok ? address.key : null,
    limitKeys: storedKeys(checks),
  })
  refuseWhenExhausted(checks, counts)
  const credential = found?.credential
  const { ok: proven, needsRehash } = await checkCredential(
    credential,
    input.password,
    deps.hasher,
    now,
  )
  const membership = found?.membership
  // Someone invited here who already has this customer's password accepts through the link
  // (it asks for that password): until then this store does not know them.
  if (!proven || !found || !membership || membership.status !== 'active') {
    const counted = credential && !isLocked(credential, now) ? credential.user_id : null
    await writeSignInFailure(db, {
      points: failurePoints(checks),
      directoryId,
      failed: proven ? null : counted,
      proven: proven ? counted : null,
      lock: lockAfterFailures(now),
      audit: failureEvents(tenant, { input, found, proven, now }).map((e) => auditRow(e, now)),
    })
    const disabled = proven && membership?.status === 'disabled'
    return { ok: false, reason: disabled ? 'disabled' : 'refused' }
  }
  const { user } = found
  const pending = weakPassword(tenant, user, input.password)
    ? 'password_change'
    : owesTerms(tenant, found.terms)
      ? 'terms'
      : null
  const { token, idHash, expiresAt } = newSessionToken(now)
  await writeSignIn(db, {
    session: {
      idHash,
      tenantId: tenant.id,
      membershipId: membership.id,
      pending,
      amr: ['pwd'],
      expiresAt,
      at: now,
    },
    replaces: sessionKeyOf(input.replaces) ?? null,
    forgive: storedKeys([checks[1]!])[0]!,
    credential: { directoryId, userId: user.id },
    audit: auditRow(
      {
        tenantId: tenant.id,
        actor: { kind: 'person', id: membership.id, name: user.email },
        action: 'sign_in.succeeded',
        subject: { kind: 'member', id: membership.id, label: user.email },
        ip: input.ip,
        details: { method: 'password' },
      },
      now,
    ),
  })
  if (needsRehash && credential) await rehash(db, credential, input.password, deps.hasher)
  return { ok: true, session: { token, expiresAt, pending } }
}

type Candidate = SignInRead['found']

/**
 * A refused sign-in, for the tenant's admins (the audit log is theirs alone): the address as
 * typed, in details, whether or not it is known; why it was refused; the lockout it caused.
 * Written on every path, so the refusal takes the same work whatever the reason. Never the
 * password.
 */
function failureEvents(
  tenant: Tenant,
  a: {
    input: { email: string; ip?: string | undefined }
    found: Candidate
    proven: boolean
    now: Date
  },
): AuditEvent[] {
  const { found, now } = a
  // Only this tenant's members are named: an address known in a directory this tenant shares
  // with another store, but not a member here, is as unknown here as any other.
  const member = found?.membership && { ...found, membership: found.membership }
  const credential = member?.credential
  const wasLocked = !!credential && isLocked(credential, now)
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
  const failed = { ...event, action: 'sign_in.failed', details: { email, reason } }
  // The failure counted now locks the account at this many in a row (NIST SP 800-63B).
  const failures = (credential?.failed_logins ?? 0) + 1
  if (reason !== 'wrong_password' || failures < MAX_CONSECUTIVE_FAILURES) return [failed]
  return [failed, { ...event, action: 'sign_in.locked_out', details: { email, failures } }]
}
