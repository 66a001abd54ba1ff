import type { Db } from '../db/database.js'
import type { OutboxStatus } from '../db/schema.js'
import { AppError } from '../errors.js'
import { isMailAddress } from '../lib/mail-address.js'
import { open, seal } from '../lib/seal.js'
import * as queries from './outbox.queries.js'
import { findTemplate } from './tenant-templates.js'
import {
  isLocale,
  isMailTemplateName,
  type MailDefaults,
  type MailTemplateName,
  type RenderedMail,
  renderMail,
} from './templates.js'

const SEAL_PURPOSE = 'outbox'

export type MailRecipient = { address: string; name?: string | null }

/** A person as a mail's recipient: their address, and their full name when they have one. */
export const recipientOf = (person: {
  email: string
  first_name: string | null
  last_name: string | null
}): MailRecipient => ({
  address: person.email,
  name: [person.first_name, person.last_name].filter(Boolean).join(' ') || null,
})
export type EnqueueMailInput = {
  tenantId: string
  template: MailTemplateName
  /** The reader's language; one we do not ship falls back to English. */
  locale: string
  to: MailRecipient
  /** Values the template shows (firstName, expiresAt as ISO…), stored as they are. */
  data?: Record<string, string>
  /** Values that grant something (the link): sealed at rest and wiped once sent. */
  secret?: Record<string, string>
  /**
   * An RFC 8058 one-click unsubscribe URL: sealed with `secret`, shown as {{unsubscribeLink}},
   * and sent as the List-Unsubscribe and List-Unsubscribe-Post headers.
   */
  unsubscribeLink?: string
}
/** A rendered mail and the headers it asks for. */
export type ComposedMail = RenderedMail & { listUnsubscribe?: string }
export type MailKeys = { secretKey: string; templates: MailDefaults }

/** A mail's secrets (its link), sealed as the outbox stores them: for rows written in bulk too. */
export const sealMailSecret = (secretKey: string, secret: Record<string, string>) =>
  seal(secretKey, SEAL_PURPOSE, JSON.stringify(secret))

/**
 * Queues a mail. Call it with the transaction of the change that causes it (DESIGN.md, mail):
 * the change and its mail commit together or not at all.
 */
export async function enqueueMail(
  db: Db,
  input: EnqueueMailInput,
  secretKey: string,
): Promise<{ id: string }> {
  if (!isMailTemplateName(input.template))
    throw new Error(`unknown email template "${input.template}"`)
  if (!isMailAddress(input.to.address)) {
    throw new AppError('invalid_request', 'This email address cannot receive mail.', {
      details: { fields: { email: ['an address such as name@example.com'] }, form: [] },
    })
  }
  const data = input.data ?? {}
  const secret = input.unsubscribeLink
    ? { ...input.secret, unsubscribeLink: input.unsubscribeLink }
    : input.secret
  // The outbox must not undo "only the hash is stored": a link in `data` would sit there in clear.
  if ('link' in data) throw new Error('enqueueMail: pass the link in `secret`, not in `data`')
  return queries.insertMail(db, {
    tenant_id: input.tenantId,
    template: input.template,
    locale: isLocale(input.locale) ? input.locale : 'en',
    to_address: input.to.address,
    to_name: input.to.name ?? null,
    data: JSON.stringify(data),
    secret: secret ? sealMailSecret(secretKey, secret) : null,
    // Due on the gateway's clock, which the sender compares with (the database's now() runs in
    // microseconds: a mail queued within the sender's millisecond would wait for the next tick).
    next_attempt_at: new Date(),
  })
}

/** The rendered mail of an outbox row: the tenant's template (or the default), data and secret. */
export async function composeMail(
  db: Db,
  mail: queries.OutboxMail,
  keys: MailKeys,
): Promise<ComposedMail> {
  if (!isMailTemplateName(mail.template))
    throw new Error(`unknown email template "${mail.template}"`)
  const template = await findTemplate(db, keys.templates, {
    tenantId: mail.tenant_id,
    name: mail.template,
    locale: mail.locale,
  })
  const secret = openSecret(keys.secretKey, mail.secret)
  const vars = { tenantName: mail.tenant_name, email: mail.to_address, ...mail.data, ...secret }
  const rendered = renderMail(template, vars, mail.locale)
  return secret.unsubscribeLink
    ? { ...rendered, listUnsubscribe: secret.unsubscribeLink }
    : rendered
}

function openSecret(secretKey: string, sealed: Uint8Array | null): Record<string, string> {
  if (!sealed) return {}
  return JSON.parse(open(secretKey, SEAL_PURPOSE, sealed)) as Record<string, string>
}

export type MailboxEntry = RenderedMail & {
  id: string
  to: { address: string; name: string | null }
  status: OutboxStatus
  attempts: number
  /** False when the sealed link cannot be opened (sealed under another SECRET_KEY). */
  isSecretReadable: boolean
  createdAt: Date
  sentAt: Date | null
}

/**
 * The tenant's latest mail, rendered, for the dev mailbox (no SMTP configured). It opens the
 * sealed links: only ever show it where a developer reads their own trial's mail.
 */
export async function listMailbox(
  db: Db,
  input: { tenantId: string; limit?: number },
  keys: MailKeys,
): Promise<MailboxEntry[]> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200)
  const rows = await queries.listTenantMail(db, input.tenantId, limit)
  const entries: MailboxEntry[] = []
  for (const row of rows) {
    // A row sealed under an earlier SECRET_KEY shows without its link instead of failing the page.
    const isSecretReadable = canOpen(keys.secretKey, row.secret)
    const rendered = await composeMail(db, isSecretReadable ? row : { ...row, secret: null }, keys)
    entries.push({
      ...rendered,
      isSecretReadable,
      id: row.id,
      to: { address: row.to_address, name: row.to_name },
      status: row.status,
      attempts: row.attempts,
      createdAt: row.created_at,
      sentAt: row.sent_at,
    })
  }
  return entries
}

function canOpen(secretKey: string, sealed: Uint8Array | null): boolean {
  try {
    openSecret(secretKey, sealed)
    return true
  } catch {
    return false
  }
}

/**
 * Without SMTP_URL (never in production) the link of each new mail is logged, so a first-time
 * user can click it from the terminal; the same mail is on /dev/mailbox.
 */
export async function newMailForLog(db: Db, since: Date, keys: MailKeys) {
  const rows = await queries.listMailSince(db, since, 100)
  const mails = []
  for (const row of rows) {
    const { subject } = await composeMail(db, row, keys)
    const secret = canOpen(keys.secretKey, row.secret) ? openSecret(keys.secretKey, row.secret) : {}
    mails.push({
      id: row.id,
      to: row.to_address,
      subject,
      link: secret.link,
      createdAt: row.created_at,
    })
  }
  return mails
}

export const deleteOldMail = queries.deleteOldMail
