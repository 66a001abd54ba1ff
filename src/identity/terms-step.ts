import { createHmac } from 'node:crypto'
import type { Db } from '../db/database.js'
import type { SessionPending } from '../db/schema.js'
import { safeEqual } from '../lib/tokens.js'
import type { Tenant } from '../tenants/tenants.js'
import { nextStep } from './login.js'
import type { Session } from './sessions.js'
import { acceptTerms, currentTerms, type TermsVersion, termsOwed } from './terms.js'

// The Terms step of a session (/terms): what to show, what an answer does. The browser's
// "opened the document" mark is passed in and handed back as plain strings.

export type TermsProblem = 'changed' | 'open_first' | 'must_accept'

export type TermsStep =
  /** Nothing (more) owed: go on to the next step, or where the person was going. */
  | { kind: 'done'; pending: SessionPending | null; accepted: boolean }
  | { kind: 'show'; terms: TermsVersion; opened: boolean; problems: TermsProblem[] }

type Reader = { session: Session; secretKey: string; openedMark: string | undefined }

// "This member opened version N of this store's document", MACed so that a hand-made mark,
// or one from another member or store, does not count.
function termsOpenedMark(
  secretKey: string,
  input: { tenantId: string; membershipId: string; version: number },
): string {
  const subject = `terms_opened:${input.tenantId}:${input.membershipId}:${input.version}`
  return `${input.version}.${createHmac('sha256', secretKey).update(subject).digest('base64url')}`
}

const hasOpened = (tenant: Tenant, reader: Reader, terms: TermsVersion) => {
  if (terms.document_url === null) return true
  const mark = termsOpenedMark(reader.secretKey, {
    tenantId: tenant.id,
    membershipId: reader.session.membership_id,
    version: terms.version,
  })
  return reader.openedMark !== undefined && safeEqual(reader.openedMark, mark)
}

const done = async (db: Db, tenant: Tenant, session: Session, accepted: boolean) =>
  ({ kind: 'done', pending: await nextStep(db, tenant, session), accepted }) as const

/** The Terms this session still owes, with whether their document was opened. */
export async function showTerms(db: Db, tenant: Tenant, reader: Reader): Promise<TermsStep> {
  const owed = await termsOwed(db, tenant, reader.session.membership_id)
  if (!owed) return done(db, tenant, reader.session, false)
  return { kind: 'show', terms: owed, opened: hasOpened(tenant, reader, owed), problems: [] }
}

/**
 * Accepts exactly the version shown. A newer version published while the form was open is
 * shown, never accepted unseen; a document must be opened first, and the box ticked.
 */
export async function answerTerms(
  db: Db,
  tenant: Tenant,
  input: Reader & { version: number; accepted: boolean },
): Promise<TermsStep> {
  const { session } = input
  const owed = await termsOwed(db, tenant, session.membership_id)
  if (!owed) return done(db, tenant, session, false)
  const opened = hasOpened(tenant, input, owed)
  const problems: TermsProblem[] =
    owed.version !== input.version
      ? ['changed']
      : [
          ...(opened ? [] : ['open_first' as const]),
          ...(input.accepted ? [] : ['must_accept' as const]),
        ]
  if (problems.length) return { kind: 'show', terms: owed, opened, problems }
  const accepted = {
    tenantId: tenant.id,
    membershipId: session.membership_id,
    version: owed.version,
  }
  await acceptTerms(db, accepted)
  return done(db, tenant, session, true)
}

/** The current document to open, and the mark that says it was; undefined if there is none. */
export async function openTermsDocument(
  db: Db,
  tenant: Tenant,
  input: { membershipId: string; version: unknown; secretKey: string },
) {
  const terms = await currentTerms(db, tenant.id)
  if (!terms?.document_url || String(terms.version) !== input.version) return undefined
  const { membershipId } = input
  const mark = termsOpenedMark(input.secretKey, {
    tenantId: tenant.id,
    membershipId,
    version: terms.version,
  })
  return { url: terms.document_url, mark }
}
