import type { Db } from '../db/database.js'
import { deleteExpiredIdempotencyKeys } from '../invitations/idempotency.js'
import { deleteSpentResets } from '../identity/password-reset.js'
import { deleteExpiredSessions } from '../identity/sessions.js'
import { deleteOldMail } from '../mail/outbox.js'
import { deleteExpiredRateLimits } from '../security/rate-limits.store.js'
import { deleteExpiredSso } from '../sso/requests.store.js'
import { deleteExpiredArtefacts } from '../tokens/artefacts.store.js'

/**
 * Expired sessions, counters, links OIDC artefacts (codes, tokens, interactions), SSO requests and replay records, and mail
 * older than 30 days. Idempotent deletes.
 */
export async function cleanUp(db: Db, now = new Date()) {
  return {
    sessions: await deleteExpiredSessions(db, now),
    rateLimits: await deleteExpiredRateLimits(db, now),
    resets: await deleteSpentResets(db, now),
    mail: await deleteOldMail(db, now),
    oidcArtefacts: await deleteExpiredArtefacts(db, now),
    sso: await deleteExpiredSso(db, now),
    idempotencyKeys: await deleteExpiredIdempotencyKeys(db, now),
  }
}
