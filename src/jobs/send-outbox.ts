import type { Db, Tx } from '../db/database.js'
import { composeMail, type MailKeys } from '../mail/outbox.js'
import * as outbox from '../mail/outbox.queries.js'
import { isMailAddress, isPermanentRefusal, type Mailer } from '../mail/smtp.js'
import type { MailDefaults } from '../mail/templates.js'

export type SendOutboxDeps = {
  mailer: Pick<Mailer, 'send'>
  secretKey: string
  templates: MailDefaults
  /** The envelope sender and From address; the From name is the tenant's name. */
  from: { name?: string; address: string }
  now?: Date
  batchSize?: number
  /** Aborted when the process stops: the mail being sent finishes, no other one starts. */
  signal?: AbortSignal
}

export const MAX_ATTEMPTS = 20
const BASE_DELAY_MS = 30_000
const MAX_DELAY_MS = 3_600_000
// Bounds one call even if mail arrives faster than it leaves; the next tick carries on.
const MAX_BATCHES = 50

/** 30 s after the first failure, doubling, never more than an hour. */
export const retryDelayMs = (failuresBefore: number) =>
  Math.min(BASE_DELAY_MS * 2 ** failuresBefore, MAX_DELAY_MS)

/**
 * Sends due mail, one transaction per batch. Rows are locked with FOR UPDATE SKIP LOCKED, so
 * any number of gateway processes can run this at once and each mail goes out once. Delivery is
 * at least once: a crash between the server's "250 OK" and the commit sends that batch again,
 * under the same Message-ID (messageIdOf), so the reader's mail client shows it once.
 * On abort the batch commits what it sent; its other rows are unlocked for the next sender.
 */
export async function sendDueMail(
  db: Db,
  deps: SendOutboxDeps,
): Promise<{ sent: number; failed: number }> {
  const now = deps.now ?? new Date()
  const batchSize = deps.batchSize ?? 20
  const total = { sent: 0, failed: 0 }
  for (let i = 0; i < MAX_BATCHES && !deps.signal?.aborted; i++) {
    const batch = await db.transaction().execute((tx) => sendBatch(tx, deps, now, batchSize))
    total.sent += batch.sent
    total.failed += batch.failed
    if (batch.taken < batchSize) break
  }
  return total
}

async function sendBatch(tx: Tx, deps: SendOutboxDeps, now: Date, batchSize: number) {
  const mails = await outbox.lockDueMail(tx, now, batchSize)
  const keys: MailKeys = { secretKey: deps.secretKey, templates: deps.templates }
  let sent = 0
  let failed = 0
  for (const mail of mails) {
    if (deps.signal?.aborted) break
    try {
      const rendered = await composeMail(tx, mail, keys)
      await deps.mailer.send({
        from: { name: mail.tenant_name || deps.from.name || '', address: deps.from.address },
        to: { name: mail.to_name ?? '', address: mail.to_address },
        messageId: messageIdOf(mail.id, deps.from.address),
        ...rendered,
      })
      await outbox.markSent(tx, mail.id, now)
      sent++
    } catch (error) {
      // One bad mail (server refusal, broken template, unreadable seal) never stops the others.
      await outbox.markAttemptFailed(tx, mail.id, nextAttempt(mail, error, now))
      failed++
    }
  }
  return { taken: mails.length, sent, failed }
}

/**
 * The mail's Message-ID, made of its outbox row's id (random, fixed when the mail was queued)
 * and the sender's domain: every try of the mail, in any process, after any crash, carries it.
 */
export const messageIdOf = (outboxId: string, fromAddress: string) =>
  `<${outboxId}@${fromAddress.slice(fromAddress.lastIndexOf('@') + 1)}>`

function nextAttempt(mail: outbox.OutboxMail, error: unknown, now: Date) {
  const attempts = mail.attempts + 1
  // An address that can never be valid, or one the server refused for good (550 no such user),
  // is not worth twenty tries over thirteen hours: failed at once, and shown to the admins.
  const isHopeless =
    !isMailAddress(mail.to_address) || isPermanentRefusal(error) || attempts >= MAX_ATTEMPTS
  return {
    attempts,
    status: isHopeless ? ('failed' as const) : ('pending' as const),
    nextAttemptAt: new Date(now.getTime() + retryDelayMs(mail.attempts)),
    lastError: shortError(error),
    attemptedAt: now,
  }
}

// Short and free of secrets: the rendered body (with its link) never goes into the message.
function shortError(error: unknown): string {
  const e = error as { responseCode?: unknown; code?: unknown; message?: unknown }
  const code = e.responseCode ?? e.code
  const message = typeof e.message === 'string' ? e.message : String(error)
  return `${code ? `${String(code)}: ` : ''}${message}`
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .slice(0, 200)
}
