import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { publishTerms } from '../../src/identity/terms.js'
import { getTenant, updateSettings } from '../../src/tenants/tenants.js'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { freePort } from '../support/process.js'
import { startStoreApp } from '../support/store-app.js'

// Issue 4, clicked in Chromium: two store apps sign people in through the gateway. A new person
// starts at the shop, activates from the emailed invitation, accepts the Terms and lands back in
// the shop signed in; the back office then signs them in without a form; logging out of the shop
// ends the gateway session for both.
const port = await freePort()
// Own database: world.deliver() sends every tenant's due mail.
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

/** Every URL the page's main frame visits from now on. */
function visited(page: Page): URL[] {
  const urls: URL[] = []
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) urls.push(new URL(frame.url()))
  })
  return urls
}

describe.skipIf(!hasBrowser)('store apps signing people in through the gateway', () => {
  const world = useBrowserWorld(gw, port)

  it('activates, accepts the Terms, returns to the app; single sign-on; logout for both', async () => {
    const created = await gw.createTenant({ name: 'Seller Platform' })
    await updateSettings(gw.db, created, { termsRequired: true }, gw.config.passwordPolicies)
    const tenant = await getTenant(gw.db, created.slug, gw.config)
    await gw.db
      .transaction()
      .execute((tx) =>
        publishTerms(tx, tenant.id, { title: 'Terms of Service', text: 'Be kind to each other.' }),
      )
    const shop = await startStoreApp(gw, tenant, 'Shop', 'shop.localhost')
    const office = await startStoreApp(gw, tenant, 'Back office', 'office.localhost')
    try {
      const link = await world.inviteLink(tenant, 'ada@example.com', 'Ada')

      const page = await world.browser.newPage()
      await page.goto(shop.url)
      await page.click('#signin')
      await page.waitForURL((url) => url.pathname === '/login')
      expect(new URL(page.url()).host).toBe(`${tenant.slug}.localhost:${port}`)
      expect(await page.textContent('main')).toContain('invitation email')
      await page.screenshot({ path: `${SCREENSHOTS}/oidc-login.png`, fullPage: true })

      // No password yet: the invitation, opened in the same browser.
      await page.goto(link)
      await page.fill('#password', 'Harbour-Light-42')
      await page.fill('#password-confirm', 'Harbour-Light-42')
      await page.click('button[type="submit"]')
      await page.waitForURL('**/terms')
      await page.check('#accept')
      await page.click('#terms-submit')
      await page.waitForURL((url) => url.href.startsWith(shop.url))
      expect(await page.textContent('#who')).toBe('Signed in as ada@example.com (user)')
      await page.screenshot({ path: `${SCREENSHOTS}/oidc-shop-signed-in.png`, fullPage: true })

      // Single sign-on: the back office asks for nothing.
      const hops = visited(page)
      await page.goto(office.url)
      await page.click('#signin')
      await page.waitForURL((url) => url.href.startsWith(office.url) && url.pathname === '/')
      expect(await page.textContent('#who')).toBe('Signed in as ada@example.com (user)')
      expect(hops.filter((u) => u.pathname === '/login')).toEqual([])

      // Logging out of the shop ends the gateway session: the back office asks again.
      await page.goto(shop.url)
      await page.click('#logout')
      await page.waitForSelector('button[name="logout"]')
      expect(await page.textContent('h1')).toBe('Sign out of Seller Platform?')
      await page.screenshot({ path: `${SCREENSHOTS}/oidc-logout.png`, fullPage: true })
      await page.click('button[name="logout"]')
      await page.waitForURL((url) => url.href === shop.url)
      expect(await page.textContent('#who')).toBe('Not signed in')
      // The back office's own session is its business; a new sign-in there needs the password.
      await page.context().clearCookies({ domain: 'office.localhost' })
      await page.goto(office.url)
      await page.click('#signin')
      await page.waitForURL((url) => url.pathname === '/login')
    } finally {
      await shop.close()
      await office.close()
    }
  })
})
