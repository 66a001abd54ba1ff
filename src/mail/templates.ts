import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { escapeHtml } from '../lib/html.js'
import { LOCALES, type Locale } from '../lib/locales.js'

export const MAIL_TEMPLATES = [
  'invitation',
  'reminder',
  'password_reset',
  'access_request',
  'idp_certificate_expiry',
  'sp_certificate_expiry',
  // An invitation into a company directory: its link leads to the company's sign-in.
  'company_invitation',
  'company_reminder',
  // Issue 12: the requester of access, told politely once that an admin declined.
  'access_request_denied',
] as const
export type MailTemplateName = (typeof MAIL_TEMPLATES)[number]
export type MailTemplate = { subject: string; text: string; html: string }
export type RenderedMail = MailTemplate
/** The defaults from config/email-templates: name -> locale -> template. */
export type MailDefaults = Readonly<
  Record<MailTemplateName, Readonly<Record<Locale, MailTemplate>>>
>
export type MailVars = Readonly<Record<string, string | undefined>>
export type TemplateProblem = { field: keyof MailTemplate; message: string }

const COMMON = ['tenantName', 'firstName', 'greetingName', 'email', 'link'] as const
const CERTIFICATE = [
  ...COMMON,
  'expiresAt',
  'directoryName',
  'certificateSubject',
  'fingerprint',
] as const
/** What each template may use; `greetingName` is firstName, or the email when there is none. */
export const PLACEHOLDERS: Readonly<Record<MailTemplateName, readonly string[]>> = {
  invitation: [...COMMON, 'expiresAt'],
  reminder: [...COMMON, 'expiresAt'],
  password_reset: [...COMMON, 'expiresAt'],
  // Issue 12: the requester's own words, and the admin's one-click unsubscribe (RFC 8058).
  access_request: [
    ...COMMON,
    'requesterEmail',
    'requesterName',
    'requesterMessage',
    'unsubscribeLink',
  ],
  // To the tenant's admins, 30, 7 and 1 day before (jobs/certificate-notices.ts); the link is
  // the directory's SP metadata URL.
  idp_certificate_expiry: [...CERTIFICATE],
  sp_certificate_expiry: [...CERTIFICATE],
  company_invitation: [...COMMON, 'expiresAt'],
  company_reminder: [...COMMON, 'expiresAt'],
  access_request_denied: [...COMMON],
}
const ALL_PLACEHOLDERS = [...new Set(Object.values(PLACEHOLDERS).flat())]

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g
const ANY_BRACES = /\{\{(.*?)\}\}/gs
// C0, DEL, C1 and the Unicode line separators: any of them in a header could start a new line.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g

export const isMailTemplateName = (name: string): name is MailTemplateName =>
  (MAIL_TEMPLATES as readonly string[]).includes(name)
export const isLocale = (locale: string): locale is Locale =>
  (LOCALES as readonly string[]).includes(locale)

/** Reads `<name>.<locale>.{subject.txt,txt,html}` for every template and locale; fails naming what is missing. */
export function loadTemplates(dir: string): MailDefaults {
  const missing: string[] = []
  const problems: string[] = []
  const read = (file: string): string => {
    try {
      return readFileSync(join(dir, file), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      missing.push(file)
      return ''
    }
  }
  const entries = MAIL_TEMPLATES.map((name) => {
    const byLocale = LOCALES.map((locale) => {
      const base = `${name}.${locale}`
      const template = {
        subject: read(`${base}.subject.txt`).trim(),
        text: read(`${base}.txt`),
        html: read(`${base}.html`),
      }
      for (const p of checkTemplate(template, name))
        problems.push(`${base}: ${p.field}: ${p.message}`)
      return [locale, Object.freeze(template)] as const
    })
    return [name, Object.freeze(Object.fromEntries(byLocale))] as const
  })
  if (missing.length > 0)
    throw new Error(`Missing email templates in ${dir}: ${missing.join(', ')}`)
  if (problems.length > 0)
    throw new Error(`Invalid email templates in ${dir}:\n  ${problems.join('\n  ')}`)
  return Object.freeze(Object.fromEntries(entries)) as MailDefaults
}

/** Save-time check: unknown or malformed placeholders, a multi-line subject, a missing link. */
export function checkTemplate(template: MailTemplate, name?: MailTemplateName): TemplateProblem[] {
  const allowed = name ? PLACEHOLDERS[name] : ALL_PLACEHOLDERS
  const problems: TemplateProblem[] = []
  for (const field of ['subject', 'text', 'html'] as const) {
    for (const [whole, inner = ''] of template[field].matchAll(ANY_BRACES)) {
      const key = inner.trim()
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key))
        problems.push({ field, message: `${whole} is not a placeholder` })
      else if (!allowed.includes(key))
        problems.push({
          field,
          message: `unknown placeholder {{${key}}}; use one of ${allowed.map((p) => `{{${p}}}`).join(', ')}`,
        })
    }
    if (template[field].replace(ANY_BRACES, '').includes('{{'))
      problems.push({ field, message: 'a "{{" is never closed with "}}"' })
  }
  if (/[\r\n]/.test(template.subject.trim()))
    problems.push({ field: 'subject', message: 'the subject must be a single line' })
  for (const field of ['text', 'html'] as const) {
    if (!usesPlaceholder(template[field], 'link'))
      problems.push({ field, message: 'the mail must contain {{link}}' })
  }
  return problems
}

const usesPlaceholder = (text: string, key: string) =>
  [...text.matchAll(PLACEHOLDER)].some((m) => m[1] === key)

/**
 * Fills `{{var}}`: escaped in html, raw in text, and on one line in the subject so that no
 * value can start a header. An unknown placeholder renders as nothing (templates are checked
 * when saved); values are inserted once and never expanded again.
 */
export function renderMail(template: MailTemplate, vars: MailVars, locale: string): RenderedMail {
  const values = new Map(
    Object.entries(vars).filter(([, v]) => v !== undefined) as [string, string][],
  )
  values.set('greetingName', vars.greetingName || vars.firstName || vars.email || '')
  if (vars.expiresAt) values.set('expiresAt', formatDate(vars.expiresAt, locale))
  const fill = (text: string, encode: (value: string) => string) =>
    text.replace(PLACEHOLDER, (_, key: string) => encode(values.get(key) ?? ''))
  return {
    subject: oneLine(fill(template.subject, (v) => v)),
    text: fill(template.text, (v) => v),
    html: fill(template.html, escapeHtml),
  }
}

export const oneLine = (text: string): string => text.replace(CONTROL, ' ').trim()

/** A date and time for the reader's language; in UTC, since we do not know the reader's zone. */
export function formatDate(date: Date | string, locale: string, timeZone = 'UTC'): string {
  const value = typeof date === 'string' ? new Date(date) : date
  if (Number.isNaN(value.getTime())) return typeof date === 'string' ? date : ''
  const options: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }
  try {
    return new Intl.DateTimeFormat(locale, options).format(value)
  } catch {
    return new Intl.DateTimeFormat('en', options).format(value) // a malformed locale tag
  }
}
