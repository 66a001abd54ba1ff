import type { AddressInfo } from 'node:net'
import PostalMime, { type Header, type Mailbox } from 'postal-mime'
import { SMTPServer, type SMTPServerEnvelope } from 'smtp-server'

export type ReceivedMail = {
  /** What the client said in MAIL FROM / RCPT TO: where the mail really goes. */
  envelope: { mailFrom: string; rcptTo: string[] }
  from: Mailbox | undefined
  to: Mailbox[]
  subject: string
  text: string
  html: string
  headers: Header[]
  raw: string
}

export type TestSmtp = {
  url: string
  port: number
  messages: ReceivedMail[]
  waitFor(to: string, timeoutMs?: number): Promise<ReceivedMail>
  /**
   * While on, every message is refused after its data: by default with a temporary 451, as a
   * server under load would; `code` 554 is a permanent refusal of the message.
   */
  setFailing(on: boolean, code?: number): void
  close(): Promise<void>
}

export type SmtpOptions = {
  /** A given port: a server stopped and started again where the gateway expects it. */
  port?: number
  /** A reply code refusing this recipient at RCPT TO (550: no such user), or none to accept. */
  refuse?: (rcptTo: string) => number | undefined
  /** A reply code refusing the sender at MAIL FROM (553: not allowed to send as this address). */
  refuseSender?: () => number | undefined
  /** Runs once a message is recorded, before the server says 250 (a crash in that window). */
  beforeAccept?: (mail: ReceivedMail) => void | Promise<void>
}

/** A real SMTP server in this process, on 127.0.0.1 and a free port, without TLS or auth. */
export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const messages: ReceivedMail[] = []
  const waiters: { to: string; resolve: (mail: ReceivedMail) => void }[] = []
  let isFailing = false
  let failCode = 451

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onMailFrom(_address, _session, callback) {
      const code = options.refuseSender?.()
      if (code === undefined) return callback()
      callback(Object.assign(new Error('Sender not allowed'), { responseCode: code }))
    },
    onRcptTo(address, _session, callback) {
      const code = options.refuse?.(address.address)
      if (code === undefined) return callback()
      callback(Object.assign(new Error('No such user here'), { responseCode: code }))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        if (isFailing) {
          const error = Object.assign(
            new Error(failCode < 500 ? 'Try again later' : 'Message refused'),
            {
              responseCode: failCode,
            },
          )
          return callback(error)
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        record(raw, session.envelope)
          .then((mail) => options.beforeAccept?.(mail))
          .then(() => callback(), callback)
      })
    },
  })

  async function record(raw: string, envelope: SMTPServerEnvelope) {
    const parsed = await PostalMime.parse(raw)
    const mail: ReceivedMail = {
      envelope: {
        mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
        rcptTo: envelope.rcptTo.map((r) => r.address),
      },
      from: parsed.from && 'address' in parsed.from ? (parsed.from as Mailbox) : undefined,
      to: (parsed.to ?? []).filter((a): a is Mailbox => a.address !== undefined),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: parsed.html ?? '',
      headers: parsed.headers,
      raw,
    }
    messages.push(mail)
    for (const waiter of waiters.splice(0)) {
      if (isFor(mail, waiter.to)) waiter.resolve(mail)
      else waiters.push(waiter)
    }
    return mail
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.server.address() as AddressInfo

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitFor(to, timeoutMs = 5_000) {
      const found = messages.find((m) => isFor(m, to))
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const seen = messages.flatMap((m) => m.envelope.rcptTo).join(', ') || 'none'
          reject(new Error(`no mail for ${to} within ${timeoutMs} ms (received for: ${seen})`))
        }, timeoutMs)
        waiters.push({
          to,
          resolve: (mail) => {
            clearTimeout(timer)
            resolve(mail)
          },
        })
      })
    },
    setFailing(on, code = 451) {
      isFailing = on
      failCode = code
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

const isFor = (mail: ReceivedMail, to: string) =>
  mail.envelope.rcptTo.some((r) => r.toLowerCase() === to.toLowerCase())

/** The first link in the text body whose path starts with `pathPrefix`. */
export function extractLink(mail: ReceivedMail, pathPrefix: string): string {
  for (const [candidate] of mail.text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
    if (new URL(candidate).pathname.startsWith(pathPrefix)) return candidate
  }
  throw new Error(`no link to ${pathPrefix} in the mail "${mail.subject}"`)
}
