import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import { hashToken, newToken, TOKEN_PATTERN } from '../lib/tokens.js'
import * as queries from './sessions.queries.js'

// Sessions are per tenant host (DESIGN.md, "Decisions on the edges"): one store's session never
// opens another. The cookie carries 256 random bits; the table only their SHA-256.
export const SESSION_TTL_MS = 12 * 3_600_000

export type Session = NonNullable<Awaited<ReturnType<typeof queries.findLiveSession>>> & {
  idHash: Uint8Array
}

export async function startSession(
  db: Db,
  input: {
    tenantId: string
    membershipId: string
    pending: SessionPending | null
    /** How the person signed in (RFC 8176): a password unless a company's IdP says otherwise. */
    amr?: string[]
  },
  now = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const { token, idHash, expiresAt } = newSessionToken(now)
  const amr = input.amr ?? ['pwd']
  await queries.insertSession(db, { idHash, ...input, amr, expiresAt, at: now })
  return { token, expiresAt }
}

/** A new session's token, the hash the table keeps of it, and its end; the caller writes it. */
export function newSessionToken(now: Date) {
  const token = newToken()
  return { token, idHash: hashToken(token), expiresAt: new Date(now.getTime() + SESSION_TTL_MS) }
}

/** The table's key of a session token a browser sent, if it is a well-formed one. */
export const sessionKeyOf = (token: string | undefined): Uint8Array | undefined =>
  token && TOKEN_PATTERN.test(token) ? hashToken(token) : undefined

export async function findSession(
  db: Db,
  tenantId: string,
  token: string | undefined,
  now = new Date(),
): Promise<Session | undefined> {
  if (!token || !TOKEN_PATTERN.test(token)) return undefined
  const idHash = hashToken(token)
  const session = await queries.findLiveSession(db, tenantId, idHash, now)
  return session && { ...session, idHash }
}

export const setSessionPending = (
  db: Db,
  tenantId: string,
  session: Session,
  pending: SessionPending | null,
) => queries.updateSessionPending(db, tenantId, session.idHash, pending)

export async function endSession(
  db: Db,
  tenantId: string,
  token: string | undefined,
): Promise<void> {
  if (token && TOKEN_PATTERN.test(token))
    await queries.deleteSession(db, tenantId, hashToken(token))
}

export const endOtherSessions = queries.deleteSessionsOfUser
export const deleteExpiredSessions = queries.deleteExpiredSessions
