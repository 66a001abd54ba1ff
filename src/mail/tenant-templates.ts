import * as z from 'zod'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { parse } from '../lib/validate.js'
import { Locale } from '../lib/locales.js'
import * as queries from './templates.queries.js'
import {
  checkTemplate,
  MAIL_TEMPLATES,
  type MailDefaults,
  type MailTemplate,
  type MailTemplateName,
  type MailVars,
  type RenderedMail,
  renderMail,
} from './templates.js'

const TemplateRef = z.strictObject({
  tenantId: z.uuid(),
  name: z.enum(MAIL_TEMPLATES),
  locale: Locale,
})
const TenantTemplateInput = TemplateRef.extend({
  subject: z.string().trim().min(1).max(200),
  text: z.string().trim().min(1).max(20_000),
  html: z.string().trim().min(1).max(100_000),
})
export type TenantTemplateInput = z.input<typeof TenantTemplateInput>
export type TemplateRef = { tenantId: string; name: MailTemplateName; locale: string }

/** Stores a tenant's version of a template; rejects what would render wrong at send time. */
export async function saveTenantTemplate(
  db: Db,
  input: TenantTemplateInput,
  now = new Date(),
): Promise<void> {
  const template = parse(TenantTemplateInput, input, 'The email template is invalid.')
  const problems = checkTemplate(template, template.name)
  if (problems.length > 0) {
    const fields: Record<string, string[]> = {}
    for (const p of problems) (fields[p.field] ??= []).push(p.message)
    throw new AppError('invalid_request', 'The email template is invalid.', {
      details: { fields, form: [] },
    })
  }
  await queries.upsertTenantTemplate(db, template, now)
}

/** Back to the default: removes the tenant's version. */
export async function resetTenantTemplate(
  db: Db,
  input: { tenantId: string; name: MailTemplateName; locale: string },
): Promise<boolean> {
  const ref = parse(TemplateRef, input)
  return queries.deleteTenantTemplate(db, ref.tenantId, ref.name, ref.locale)
}

export const listTenantTemplates = (db: Db, tenantId: string) =>
  queries.listTenantTemplates(db, tenantId)

/**
 * The tenant's version in the locale, else the default in the locale; for a locale we do not
 * ship, the tenant's English version, else the default English one.
 */
export async function findTemplate(
  db: Db,
  defaults: MailDefaults,
  ref: TemplateRef,
): Promise<MailTemplate> {
  const byName = defaults[ref.name]
  if (!byName) throw new Error(`unknown email template "${ref.name}"`)
  const own = await queries.listTenantTemplateVersions(db, ref.tenantId, ref.name, [
    ref.locale,
    'en',
  ])
  const pick = (locale: string) => {
    const row = own.find((r) => r.locale === locale)
    return row ? { subject: row.subject, text: row.text, html: row.html } : undefined
  }
  return (
    pick(ref.locale) ??
    (byName as Partial<Record<string, MailTemplate>>)[ref.locale] ??
    pick('en') ??
    byName.en
  )
}

/** Sample values for previews; anything the caller passes wins. */
export const SAMPLE_VARS = {
  firstName: 'Ada',
  email: 'ada@example.com',
  requesterEmail: 'grace@example.com',
  link: 'https://example.com/activate?token=sample',
} as const

const WEEK_MS = 7 * 86_400_000

/** What the mail would look like: the stored (or default) template, or a draft, with sample data. */
export async function previewMail(
  db: Db,
  defaults: MailDefaults,
  input: TemplateRef & { vars?: MailVars; draft?: MailTemplate },
  now = new Date(),
): Promise<RenderedMail> {
  const ref = parse(TemplateRef, {
    tenantId: input.tenantId,
    name: input.name,
    locale: input.locale,
  })
  const tenantName = await queries.findTenantName(db, ref.tenantId)
  if (tenantName === undefined) throw new AppError('not_found', 'There is no such tenant.')
  const template = input.draft ?? (await findTemplate(db, defaults, ref))
  const vars = {
    ...SAMPLE_VARS,
    tenantName,
    expiresAt: new Date(now.getTime() + WEEK_MS).toISOString(),
    ...input.vars,
  }
  return renderMail(template, vars, ref.locale)
}
