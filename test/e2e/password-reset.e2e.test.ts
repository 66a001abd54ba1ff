import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendDueMail } from '../../src/jobs/send-outbox.js'
import { createMailer } from '../../src/mail/smtp.js'
import { hasBrowser, launchBrowser, listen, SCREENSHOTS } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { extractLink, startSmtp, type TestSmtp } from '../support/smtp.js'

// "Forgot your password?" as a person does it: the form, the mail over SMTP, the link, the new
// password, and the old one refused.
const port = await freePort()
const gw = useGateway({ PORT: String(port) })
const { member } = pageHelpers(gw)

describe.skipIf(!hasBrowser)('password reset in a real browser', () => {
  let browser: Browser
  let smtp: TestSmtp
  let server: Awaited<ReturnType<typeof listen>>
  beforeAll(async () => {
    ;[browser, smtp] = await Promise.all([launchBrowser(), startSmtp()])
    server = await listen(gw, port)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await smtp?.close()
  })

  const deliver = () =>
    sendDueMail(gw.db, {
      mailer: createMailer(smtp.url),
      secretKey: gw.config.secretKey,
      templates: gw.config.mailTemplates,
      from: { address: 'no-reply@localhost' },
    })

  it('resets the password from the emailed link, once', async () => {
    const { tenant } = await member('rita@example.com')
    await deliver() // the invitation that made her a member
    smtp.messages.length = 0
    const origin = `http://${tenant.slug}.localhost:${port}`
    const page = await browser.newPage()
    await page.goto(`${origin}/login`)
    await page.click('a[href="/forgot-password"]')
    await page.fill('#email', 'rita@example.com')
    await page.click('button[type="submit"]')
    expect(await page.textContent('main')).toContain('If an account exists for this address')

    await deliver()
    const link = extractLink(await smtp.waitFor('rita@example.com'), '/reset-password/')
    await page.goto(link)
    const next = 'a fresh river stone 58'
    await page.fill('#password', next)
    await page.fill('#password-confirm', next)
    await page.screenshot({ path: `${SCREENSHOTS}/reset.png`, fullPage: true })
    await page.click('button[type="submit"]')
    await page.waitForURL((url) => url.pathname === '/login')

    await page.fill('#email', 'rita@example.com')
    await page.fill('#password', PASSWORD)
    await page.click('button[type="submit"]')
    expect(await page.textContent('main')).toContain('The email or password is incorrect.')
    await page.fill('#password', next)
    await page.click('button[type="submit"]')
    await page.waitForURL((url) => url.pathname === '/')
    expect(await page.textContent('main')).toContain('rita@example.com')

    await page.goto(link)
    expect(await page.textContent('main')).toContain('no longer valid')
  })
})
