import { describe, expect, it } from 'vitest'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { extractLink } from '../support/smtp.js'

// "Forgot your password?" as a person does it: the form, the mail over SMTP, the link, the new
// password, and the old one refused.
const port = await freePort()
// Own database: world.deliver() sends every tenant's due mail.
const gw = useGateway({ PORT: String(port) }, { database: 'own' })
const { member } = pageHelpers(gw)

describe.skipIf(!hasBrowser)('password reset in a real browser', () => {
  const world = useBrowserWorld(gw, port)

  it('resets the password from the emailed link, once', async () => {
    const { tenant } = await member('rita@example.com')
    await world.deliver() // the invitation that made her a member
    world.smtp.messages.length = 0
    const origin = `http://${tenant.slug}.localhost:${port}`
    const page = await world.browser.newPage()
    await page.goto(`${origin}/login`)
    await page.click('a[href="/forgot-password"]')
    await page.fill('#email', 'rita@example.com')
    await page.click('button[type="submit"]')
    expect(await page.textContent('main')).toContain('If an account exists for this address')

    await world.deliver()
    const link = extractLink(await world.smtp.waitFor('rita@example.com'), '/reset-password/')
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
