import nodemailer from 'nodemailer'
import { isMailAddress } from '../lib/mail-address.js'

export type MailAddress = { name: string; address: string }
export type OutgoingMail = {
  from: MailAddress
  to: MailAddress
  subject: string
  text: string
  html: string
  /** RFC 8058: an https (or http) URL a mail client may POST to, without cookies, to unsubscribe. */
  listUnsubscribe?: string | undefined
  /**
   * RFC 5322 Message-ID, `<left@right>`, the same on every try of one mail: a copy sent again
   * after a crash is then the same message, which mail clients show once.
   */
  messageId: string
}
export type Mailer = { send(message: OutgoingMail): Promise<void>; close(): void }

// SECURITY-NOTES.md, nodemailer: we never let nodemailer parse a free-form address; the one
// definition of an address (lib/mail-address.ts) is checked again right before sending.
export { isMailAddress }

// A display name or subject is one header line: control characters and line separators go.
const oneLine = (text: string) =>
  text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim()

/** The one place nodemailer is configured: `smtp://` or `smtps://` with credentials and options in the URL. */
export function createMailer(smtpUrl: string): Mailer {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    // The sender holds row locks while it talks to the server: a slow server must fail soon
    // and be retried, not stall the batch for nodemailer's default 10 minutes.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  })
  return {
    async send(message) {
      for (const [role, who] of [
        ['sender', message.from],
        ['recipient', message.to],
      ] as const) {
        if (!isMailAddress(who.address)) throw new Error(`the ${role} address is not acceptable`)
      }
      await transport.sendMail({
        from: { name: oneLine(message.from.name), address: message.from.address },
        to: { name: oneLine(message.to.name), address: message.to.address },
        // Set explicitly so that the envelope is our validated pair, whatever the headers say.
        envelope: { from: message.from.address, to: [message.to.address] },
        subject: oneLine(message.subject),
        messageId: message.messageId,
        text: message.text,
        html: message.html,
        ...(message.listUnsubscribe && { headers: unsubscribeHeaders(message.listUnsubscribe) }),
        disableFileAccess: true,
        disableUrlAccess: true,
      })
    },
    close: () => transport.close(),
  }
}

/**
 * The server refused this mail for good (RFC 5321 § 4.2.1, a 5yz reply): to its recipient
 * (RCPT TO) or to its content (DATA). Trying again cannot help. A 5yz to the session itself
 * (AUTH, MAIL FROM: our credentials or sender) is the operator's to fix and refuses every mail,
 * so those mails keep waiting for the fix instead of being given up on.
 */
export function isPermanentRefusal(error: unknown): boolean {
  const { responseCode, command } = (error ?? {}) as { responseCode?: unknown; command?: unknown }
  return (
    typeof responseCode === 'number' &&
    responseCode >= 500 &&
    responseCode < 600 &&
    (command === 'RCPT TO' || command === 'DATA')
  )
}

// The URL is re-serialised by URL, which percent-encodes anything (CR, LF, ">") that could
// leave the angle brackets or the header line.
function unsubscribeHeaders(link: string): Record<string, string> {
  const url = new URL(link)
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error('List-Unsubscribe must be an http(s) URL')
  return {
    'List-Unsubscribe': `<${url.href}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  }
}
