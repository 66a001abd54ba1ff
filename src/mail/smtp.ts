import nodemailer from 'nodemailer'

export type MailAddress = { name: string; address: string }
export type OutgoingMail = {
  from: MailAddress
  to: MailAddress
  subject: string
  text: string
  html: string
}
export type Mailer = { send(message: OutgoingMail): Promise<void>; close(): void }

// SECURITY-NOTES.md, nodemailer: we never let nodemailer parse a free-form address. Only plain
// ASCII dot-atom addresses pass (no quoted local parts, comments, groups, IP literals or
// whitespace), so what we validated is exactly what reaches RCPT TO. A one-label domain passes:
// MAIL_FROM defaults to no-reply@BASE_DOMAIN, which is "localhost" on a developer machine.
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
const ADDRESS = new RegExp(`^${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})*$`)

export function isMailAddress(address: string): boolean {
  const at = address.lastIndexOf('@')
  return address.length <= 254 && at > 0 && at <= 64 && ADDRESS.test(address)
}

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
        text: message.text,
        html: message.html,
        disableFileAccess: true,
        disableUrlAccess: true,
      })
    },
    close: () => transport.close(),
  }
}
