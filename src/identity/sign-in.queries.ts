import { sql } from 'kysely'
import type { AuditRow } from '../audit/audit.queries.js'
import type { Db } from '../db/database.js'
import { addPoints, liveCounts } from '../security/rate-limits.store.js'
import { clearFailedLogins, countFailedLogin } from './credentials.queries.js'
import { openingSession, type SessionRow } from './sessions.queries.js'
import type { User } from './users.queries.js'

// A password sign-in talks to the database twice: one statement reads everything it decides
// on (the throttle's counts, the account, the Terms owed), one writes everything it changes
// (the session and the audit event, or the failure's counts). Every round trip is a system call
// that wakes PostgreSQL on each login, and on a busy gateway they cost more than the queries.

/**
 * The live counts of the throttle's keys, and the address's user, password and membership of
 * this tenant with the Terms it owes: the user fields are null when the address is unknown (or
 * `emailKey` is null), the counts come back either way.
 */
export async function readSignIn(
  db: Db,
  input: { tenantId: string; directoryId: string; emailKey: string | null; limitKeys: string[] },
) {
  const row = await db
    .selectFrom(sql<{ one: number }>`(select 1)`.as('one'))
    .leftJoin('users as u', (j) =>
      j.on('u.directory_id', '=', input.directoryId).on('u.email_key', '=', input.emailKey),
    )
    .leftJoin('credentials as c', (j) =>
      j.onRef('c.user_id', '=', 'u.id').onRef('c.directory_id', '=', 'u.directory_id'),
    )
    .leftJoin('memberships as m', (j) =>
      j.onRef('m.user_id', '=', 'u.id').on('m.tenant_id', '=', input.tenantId),
    )
    .selectAll('u')
    .select([
      liveCounts(input.limitKeys).as('limit_counts'),
      'c.password_hash',
      'c.policy',
      'c.changed_at',
      'c.failed_logins',
      'c.locked_until',
      'm.id as membership_id',
      'm.status as membership_status',
    ])
    .select((eb) => {
      const current = eb
        .selectFrom('terms_versions as t')
        .select((t) => t.fn.max('t.version').as('version'))
        .where('t.tenant_id', '=', input.tenantId)
      return [
        current.as('terms_version'),
        eb
          .exists(
            eb
              .selectFrom('terms_acceptances as a')
              .select('a.version')
              .where('a.tenant_id', '=', input.tenantId)
              .whereRef('a.membership_id', '=', 'm.id')
              .where('a.version', '=', current),
          )
          .as('terms_accepted'),
      ]
    })
    .executeTakeFirstOrThrow()
  const {
    limit_counts,
    password_hash,
    policy,
    changed_at,
    failed_logins,
    locked_until,
    membership_id,
    membership_status,
    terms_version,
    terms_accepted,
    ...user
  } = row
  const counts = limit_counts
  if (user.id === null) return { counts, found: undefined }
  const credential =
    password_hash === null || changed_at === null || failed_logins === null
      ? undefined
      : {
          user_id: user.id,
          directory_id: user.directory_id as string,
          password_hash,
          policy,
          changed_at,
          failed_logins,
          locked_until,
        }
  const membership =
    membership_id && membership_status
      ? { id: membership_id, status: membership_status }
      : undefined
  const terms = { version: terms_version ?? null, accepted: !!terms_accepted }
  return { counts, found: { user: user as User, credential, membership, terms } }
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
  const { session } = input
  await openingSession(db, session)
    .with('replaced', (w) =>
      w
        .deleteFrom('sessions')
        .where('tenant_id', '=', session.tenantId)
        .where('id_hash', '=', input.replaces)
        .returning('membership_id'),
    )
    .with('forgiven', (w) => w.deleteFrom('rate_limits').where('key', '=', input.forgive))
    .with('cleared', () => clearFailedLogins(db, input.credential))
    .insertInto('audit_events')
    .values(input.audit)
    .execute()
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
