import { sql } from 'kysely'
import type { AuditRow } from '../audit/audit.queries.js'
import type { Db } from '../db/database.js'
import type { MembershipStatus } from '../db/schema.js'
import { addPoints, type StoredCountRow } from '../security/rate-limits.store.js'
import { clearFailedLogins, countFailedLogin } from './credentials.queries.js'
import type { SessionRow } from './sessions.queries.js'

// A password sign-in talks to the database twice: one statement reads everything it decides
// on (the throttle's counts, the account, the Terms owed), one writes everything it changes
// (the session and the audit event, or the failure's counts). Every round trip is a system call
// that wakes PostgreSQL on each login, and on a busy gateway they cost more than the queries.
// A success's two are PL/pgSQL functions (migration 20261202_1400): PostgreSQL plans their
// statements once per connection instead of on every login, which cost it more than running
// them.

type ReadRow = {
  limit_counts: StoredCountRow[]
  user_id: string | null
  email: string | null
  first_name: string | null
  last_name: string | null
  password_hash: string | null
  failed_logins: number | null
  locked_until: Date | null
  membership_id: string | null
  membership_status: MembershipStatus | null
  terms_version: number | null
  terms_accepted: boolean
}

/**
 * The live counts of the throttle's keys, and the address's user, password and membership of
 * this tenant with the Terms it owes (`found` undefined when the address is unknown, or
 * `emailKey` null); the counts come back either way.
 */
export async function readSignIn(
  db: Db,
  input: { tenantId: string; directoryId: string; emailKey: string | null; limitKeys: string[] },
) {
  const { rows } =
    await sql<ReadRow>`select * from sign_in_read(${input.tenantId}, ${input.directoryId}, ${input.emailKey}, ${input.limitKeys})`.execute(
      db,
    )
  const row = rows[0]
  if (!row) throw new Error('sign_in_read returned no row')
  const counts = row.limit_counts
  if (row.user_id === null || row.email === null) return { counts, found: undefined }
  const user = {
    id: row.user_id,
    directory_id: input.directoryId,
    email: row.email,
    first_name: row.first_name,
    last_name: row.last_name,
  }
  const credential =
    row.password_hash === null || row.failed_logins === null
      ? undefined
      : {
          user_id: user.id,
          directory_id: input.directoryId,
          password_hash: row.password_hash,
          failed_logins: row.failed_logins,
          locked_until: row.locked_until,
        }
  const membership =
    row.membership_id && row.membership_status
      ? { id: row.membership_id, status: row.membership_status }
      : undefined
  const terms = { version: row.terms_version, accepted: row.terms_accepted }
  return { counts, found: { user, credential, membership, terms } }
}

export type SignInRead = Awaited<ReturnType<typeof readSignIn>>

/**
 * A success in one statement: the session opened (and the membership's last sign-in), the
 * browser's previous session ended (no session fixation), the account's throttle count and
 * its failures in a row forgotten (each a no-op when there is none), and the audit event.
 */
export async function writeSignIn(
  db: Db,
  input: {
    session: SessionRow
    /** The hash of the session token the browser came with (null: none). */
    replaces: Uint8Array | null
    /** The account's throttle key, its count forgotten. */
    forgive: string
    credential: { directoryId: string; userId: string }
    audit: AuditRow
  },
): Promise<void> {
  const { session, credential } = input
  await sql`select sign_in_write(${session.idHash}, ${session.tenantId}, ${session.membershipId},
    ${session.pending}, ${JSON.stringify(session.amr)}, ${session.expiresAt}, ${session.at},
    ${input.replaces}, ${input.forgive}, ${credential.directoryId}, ${credential.userId},
    ${JSON.stringify(input.audit)})`.execute(db)
}

/**
 * A refusal in one statement, of the same shape whatever its reason: a failure for each
 * throttle key, one more failure in a row for the credential whose password was wrong (locking
 * it at the limit), the failures in a row forgotten for one whose password was right (a member
 * disabled, or of another store of the directory), and the audit events. A userId is null
 * where it does not apply.
 */
export async function writeSignInFailure(
  db: Db,
  input: {
    points: { key: string; points: number; msDuration: number }[]
    directoryId: string
    failed: string | null
    proven: string | null
    lock: { at: number; until: Date }
    audit: AuditRow[]
  },
): Promise<void> {
  const { directoryId } = input
  await db
    .with('counted', () => addPoints(db, input.points))
    .with('failed', () => countFailedLogin(db, { directoryId, userId: input.failed }, input.lock))
    .with('cleared', () => clearFailedLogins(db, { directoryId, userId: input.proven }))
    .insertInto('audit_events')
    .values(input.audit)
    .execute()
}
