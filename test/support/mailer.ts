import { afterAll } from 'vitest'
import { createMailer } from '../../src/mail/smtp.js'
import { startSmtp } from './smtp.js'

/** A real SMTP server for this file's tests and the mailer sending to it, closed after them. */
export async function useSmtpMailer() {
  const smtp = await startSmtp()
  const mailer = createMailer(smtp.url)
  afterAll(async () => {
    mailer.close()
    await smtp.close()
  })
  return { smtp, mailer }
}
