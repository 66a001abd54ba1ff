import { describe, expect, it } from 'vitest'
import { publishTerms } from '../../src/identity/terms.js'
import { getTenant, updateSettings } from '../../src/tenants/tenants.js'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { freePort } from '../support/process.js'

// The journey of the seeds, clicked in Chromium: the invitation mail arrives over SMTP, its link
// opens the activation page with live password feedback, the Terms come before anything else,
// and the password then signs in.
const port = await freePort()
// Own database: world.deliver() sends every tenant's due mail.
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

describe.skipIf(!hasBrowser)('activation in a real browser', () => {
  const world = useBrowserWorld(gw, port)

  it('activates from the emailed link, accepts the Terms, then logs in with the password', async () => {
    const created = await gw.createTenant({ name: 'Seller Platform' })
    await updateSettings(
      gw.db,
      created,
      { passwordPolicy: 'classes-10', termsRequired: true },
      gw.config.passwordPolicies,
    )
    const tenant = await getTenant(gw.db, created.slug, gw.config)
    await gw.db.transaction().execute((tx) =>
      publishTerms(tx, tenant.id, {
        title: 'Terms of Service',
        text: 'Be kind to each other.\n\nKeep your password to yourself.',
      }),
    )
    const link = await world.inviteLink(tenant, 'ada@example.com', 'Ada')
    expect(link.startsWith(`http://${tenant.slug}.localhost:${port}/invite/`)).toBe(true)

    const page = await world.browser.newPage()
    await page.goto(link)
    expect(await page.locator('h1').textContent()).toBe('Activate your account')
    const rule = (name: string) => page.locator(`#password-rules li[data-rule="${name}"]`)
    await page.fill('#password', 'short')
    expect(await rule('too_short').getAttribute('data-met')).toBe('false')
    expect(await rule('missing_upper').getAttribute('data-met')).toBe('false')
    await page.fill('#password', 'Harbour-Light-42')
    await page.fill('#password-confirm', 'Harbour-Light-42')
    for (const name of [
      'too_short',
      'missing_upper',
      'missing_lower',
      'missing_digit_or_symbol',
      'match',
    ]) {
      expect(await rule(name).getAttribute('data-met')).toBe('true')
    }
    await page.screenshot({ path: `${SCREENSHOTS}/activation.png`, fullPage: true })
    await page.click('button[type="submit"]')

    await page.waitForURL('**/terms')
    expect(await page.textContent('main')).toContain('Keep your password to yourself.')
    await page.screenshot({ path: `${SCREENSHOTS}/terms.png`, fullPage: true })
    await page.check('#accept')
    await page.click('#terms-submit')
    await page.waitForURL((url) => url.pathname === '/')
    expect(await page.textContent('main')).toContain('ada@example.com')
    await page.screenshot({ path: `${SCREENSHOTS}/home.png`, fullPage: true })

    // The link was single-use.
    await page.goto(link)
    expect(await page.textContent('main')).toContain('no longer valid')

    const fresh = await world.browser.newPage()
    await fresh.goto(`http://${tenant.slug}.localhost:${port}/login`)
    await fresh.fill('#email', 'ada@example.com')
    await fresh.fill('#password', 'Harbour-Light-42')
    await fresh.screenshot({ path: `${SCREENSHOTS}/login.png`, fullPage: true })
    await fresh.click('button[type="submit"]')
    await fresh.waitForURL((url) => url.pathname === '/')
    expect(await fresh.textContent('main')).toContain('ada@example.com')
  })
})
