import * as z from 'zod'
import type { Db, Tx } from '../db/database.js'
import { AppError } from '../errors.js'
import { parse } from '../lib/validate.js'
import type { Tenant } from '../tenants/tenants.js'
import * as queries from './terms.queries.js'

export type { TermsVersion } from './terms.queries.js'

export const PublishTermsInput = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    text: z.string().min(1).max(200_000).optional(),
    documentUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
  })
  .refine((t) => t.text !== undefined || t.documentUrl !== undefined, {
    message: 'give the text or a documentUrl',
  })

export async function publishTerms(tx: Tx, tenantId: string, input: unknown) {
  const terms = parse(PublishTermsInput, input)
  await queries.lockTermsOf(tx, tenantId)
  return queries.insertNextTerms(tx, {
    tenantId,
    title: terms.title,
    body: terms.text ?? null,
    documentUrl: terms.documentUrl ?? null,
  })
}

/** The version this member still has to accept, if the tenant requires Terms. */
export async function termsOwed(db: Db, tenant: Tenant, membershipId: string) {
  if (!tenant.settings.termsRequired) return undefined
  const current = await queries.findCurrentTerms(db, tenant.id)
  if (!current || (await queries.hasAccepted(db, tenant.id, membershipId, current.version)))
    return undefined
  return current
}

/**
 * termsOwed on what was read already (users.queries.ts, findEnterpriseMember): whether the
 * member still has to accept the tenant's current version.
 */
export const owesTerms = (tenant: Tenant, terms: { version: number | null; accepted: boolean }) =>
  tenant.settings.termsRequired && terms.version !== null && !terms.accepted

export const currentTerms = (db: Db, tenantId: string) => queries.findCurrentTerms(db, tenantId)

/** Accepts exactly the version shown: a newer one published meanwhile must be shown first. */
export async function acceptTerms(
  db: Db,
  input: { tenantId: string; membershipId: string; version: number },
  now = new Date(),
) {
  const current = await queries.findCurrentTerms(db, input.tenantId)
  if (!current || current.version !== input.version) {
    throw new AppError(
      'conflict',
      'The Terms of Service changed while you were reading them. Please read the new version.',
    )
  }
  await queries.insertAcceptance(db, input.tenantId, input.membershipId, current.version, now)
}
