import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/tokens/apps.js'
import { getTenant, updateSettings } from '../../src/tenants/tenants.js'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { freePort } from '../support/process.js'

// Issue 11 in Chromium: the sign-up page with the store's profile fields (seed 004), then the
// store's home with the person's apps and the install buttons, then GET /logout's confirmation.
const port = await freePort()
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

describe.skipIf(!hasBrowser)("activation to the store's home in a real browser", () => {
  const world = useBrowserWorld(gw, port)

  it('fills the profile fields, lands on the home with the apps, and confirms the sign-out', async () => {
    const created = await gw.createTenant({ name: 'Training Store' })
    await updateSettings(
      gw.db,
      created,
      {
        profileFields: [
          { field: 'firstName', required: true },
          { field: 'lastName', required: true },
          { field: 'jobTitle', required: false },
        ],
        store: {
          kind: 'native',
          iosUrl: 'https://apps.apple.com/app/id1',
          androidUrl: 'https://play.google.com/store/apps/details?id=x',
        },
      },
      gw.config.passwordPolicies,
    )
    const tenant = await getTenant(gw.db, created.slug, gw.config)
    await createApp(gw.db, tenant.id, {
      name: 'Academy',
      type: 'web',
      redirectUris: ['https://academy.example.com/cb'],
      launchUrl: 'https://academy.example.com/',
    })
    const link = await world.inviteLink(tenant, 'ada@example.com', 'Ada')

    const page = await world.browser.newPage()
    await page.goto(`${link}?continue=1`)
    expect(await page.inputValue('#profile-firstName')).toBe('Ada')
    await page.click('button[type="submit"]') // the browser itself asks for the required last name
    expect(await page.locator('#profile-lastName:invalid').count()).toBe(1)
    await page.fill('#profile-lastName', 'Lovelace')
    await page.fill('#profile-jobTitle', 'Analyst')
    await page.fill('#password', 'violet anchor harbor 93')
    await page.fill('#password-confirm', 'violet anchor harbor 93')
    await page.screenshot({ path: `${SCREENSHOTS}/activation-profile.png`, fullPage: true })
    await page.click('button[type="submit"]')

    await page.waitForURL(`http://${tenant.slug}.localhost:${port}/`)
    expect(await page.locator('h1').textContent()).toBe('Welcome, Ada.')
    expect(await page.getAttribute('a:text("Academy")', 'href')).toBe(
      'https://academy.example.com/',
    )
    expect(await page.locator('.install a').count()).toBe(2)
    await page.screenshot({ path: `${SCREENSHOTS}/store-home.png`, fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: `${SCREENSHOTS}/store-home-390.png`, fullPage: true })

    await page.goto(`http://${tenant.slug}.localhost:${port}/logout`)
    expect(await page.locator('h1').textContent()).toBe('Sign out of Training Store?')
    await page.screenshot({ path: `${SCREENSHOTS}/logout-confirm.png`, fullPage: true })
    await page.click('button[type="submit"]')
    expect(await page.textContent('main')).toContain('You are signed out.')
    await page.goto(`http://${tenant.slug}.localhost:${port}/nowhere?lang=de`)
    expect(await page.locator('h1').textContent()).toBe('Seite nicht gefunden')
    await page.screenshot({ path: `${SCREENSHOTS}/not-found-de.png`, fullPage: true })
    await page.close()
  })
})
