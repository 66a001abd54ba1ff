import type { Db, Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import { normalizeEmail } from './addresses.js'
import { hashToken, newToken, TOKEN_PATTERN } from '../lib/tokens.js'
import { enqueueMail, recipientOf } from '../mail/outbox.js'
import { databaseDirectoryOf, type Tenant } from '../tenants/tenants.js'
import { setTenantPassword } from './credentials.js'
import type { Hasher } from './hashing.js'
import * as queries from './password-reset.queries.js'
import { endOtherSessions } from './sessions.js'
import { findMembershipOf, findUser } from './users.queries.js'

// OWASP Forgot Password Cheat Sheet: a short-lived link; 30 minutes covers a slow mail server.
export const RESET_TTL_MS = 30 * 60_000

// Unknown, used, expired and superseded links are indistinguishable on purpose; the code is the
// one every other dead link speaks (errors.ts).
const INVALID = 'This password reset link is no longer valid. Request a new one.'

/**
 * Mails a reset link when the address belongs to a member of this tenant with a password, and
 * does nothing otherwise: the caller answers the same either way, so nobody learns who has an
 * account. The link and its mail commit together.
 */
export async function requestPasswordReset(
  tx: Tx,
  tenant: Tenant,
  email: string,
  ctx: { secretKey: string; now?: Date },
): Promise<void> {
  const now = ctx.now ?? new Date()
  const address = normalizeEmail(email)
  if (!address.ok) return
  const directory = await databaseDirectoryOf(tx, tenant.id)
  const user = await queries.findResettableUser(tx, tenant.id, directory.id, address.key)
  if (!user) return

  await queries.expireUnusedResets(tx, directory.id, user.id, now)
  const token = newToken() // 256 random bits; only the SHA-256 is stored
  const expiresAt = new Date(now.getTime() + RESET_TTL_MS)
  await queries.insertReset(tx, {
    tenant_id: tenant.id,
    directory_id: directory.id,
    user_id: user.id,
    token_hash: hashToken(token),
    expires_at: expiresAt,
  })
  await enqueueMail(
    tx,
    {
      tenantId: tenant.id,
      template: 'password_reset',
      locale: user.locale ?? tenant.settings.defaultLocale,
      to: recipientOf(user),
      data: {
        firstName: user.first_name ?? '',
        email: user.email,
        expiresAt: expiresAt.toISOString(),
      },
      secret: { link: `${tenant.publicUrl}/reset-password/${token}` },
    },
    ctx.secretKey,
  )
}

/** What the reset form shows; throws the one "invalid link" error otherwise. */
export async function openPasswordReset(db: Db, tenant: Tenant, token: string, now = new Date()) {
  const reset = TOKEN_PATTERN.test(token)
    ? await queries.findUsableReset(db, tenant.id, hashToken(token), now)
    : undefined
  if (!reset) throw new AppError('invitation_invalid', INVALID)
  return { email: reset.email }
}

/**
 * Spends the link and sets the new password under this tenant's policy. A rejected password
 * throws after the claim, which rolls the claim back with it: the link stays usable. Every
 * session of the user, in every store of the directory, ends.
 */
export async function resetPassword(
  tx: Tx,
  tenant: Tenant,
  input: { token: string; password: string },
  hasher: Hasher,
  now = new Date(),
): Promise<{ email: string }> {
  if (!TOKEN_PATTERN.test(input.token)) throw new AppError('invitation_invalid', INVALID)
  const claimed = await queries.claimReset(tx, tenant.id, hashToken(input.token), now)
  if (!claimed) throw new AppError('invitation_invalid', INVALID)
  const user = await findUser(tx, claimed.directory_id, claimed.user_id)
  const membership = user && (await findMembershipOf(tx, tenant.id, user.id))
  // Disabled or removed since the link was sent: the link dies with the access.
  if (!user || membership?.status !== 'active') throw new AppError('invitation_invalid', INVALID)

  await setTenantPassword(tx, tenant, user, input.password, hasher, now)
  await endOtherSessions(tx, claimed.directory_id, user.id)
  return { email: user.email }
}

export const deleteSpentResets = queries.deleteSpentResets
