import { seriousViolations } from '../support/axe.js'
import { describe, expect, it } from 'vitest'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { inviteMembers } from '../support/invite.js'
import { PASSWORD } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { extractLink } from '../support/smtp.js'

// Issue 11: an admin of a store signs in to its console with the store's own sign-in, in a real
// browser, and reads the invitations list the page's script loads from the admin API.
const port = await freePort()
// Own database: world.deliver() sends every tenant's due mail.
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

describe.skipIf(!hasBrowser)('the admin console in a real browser', () => {
  const world = useBrowserWorld(gw, port)

  it('signs the admin in, shows the shell and the invitations with their status', async () => {
    const tenant = await gw.createTenant({ name: 'Console Store' })
    const secretKey = gw.config.secretKey
    await inviteMembers(
      gw.db,
      tenant,
      { invitees: [{ email: 'owner@example.com', firstName: 'Olga' }], role: 'admin' },
      { secretKey },
    )
    await inviteMembers(
      gw.db,
      tenant,
      { invitees: [{ email: 'waiting@example.com', firstName: 'Wim', lastName: 'Wait' }] },
      { secretKey },
    )
    await world.deliver()
    const link = extractLink(await world.smtp.waitFor('owner@example.com'), '/invite/')
    const origin = `http://${tenant.slug}.localhost:${port}`

    const context = await world.browser.newContext()
    const page = await context.newPage()
    // Signed out, /admin is the store's sign-in (which remembers /admin); the invitation makes
    // the account first.
    await page.goto(`${origin}/admin`)
    expect(new URL(page.url()).pathname).toBe('/login')
    await page.goto(link)
    await page.fill('#password', PASSWORD)
    await page.fill('#password-confirm', PASSWORD)
    await page.click('button[type="submit"]')
    // Activation signs her in and takes her back to where she was going.
    await page.waitForURL((url) => url.pathname === '/admin/users')
    await page.waitForSelector('table[data-loaded]')
    expect(await page.getAttribute('table[data-list="invitations"]', 'data-loaded')).toBe('2')
    const rows = await page.$$eval('table[data-list="invitations"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    )
    expect(rows).toContainEqual([
      'waiting@example.com',
      'Wim Wait',
      expect.stringMatching(/^Pending/),
      expect.any(String),
      expect.stringContaining('Resend'),
    ])
    expect(rows).toContainEqual(['owner@example.com', 'Olga', 'Accepted', '', ''])
    expect(await page.$$eval('nav a', (as) => as.map((a) => a.textContent))).toEqual([
      'Users',
      'Invitations',
      'Guests',
      'Groups',
      'Apps',
      'Email templates',
      'Terms',
      'Settings',
      'Import',
      'Audit log',
      'Access requests',
    ])
    await page.screenshot({ path: `${SCREENSHOTS}/console-users.png`, fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: `${SCREENSHOTS}/console-users-390.png`, fullPage: true })
    // Nothing wider than the phone's screen but the table's own scroller.
    expect(await page.$eval('html', (el) => el.scrollWidth)).toBeLessThanOrEqual(390)

    expect(await seriousViolations(page)).toEqual([])

    // Keyboard: the skip link comes first and lands on the content.
    await page.keyboard.press('Tab')
    expect(await page.$eval(':focus', (el) => el.className)).toBe('skip')

    await context.close()
  })
})
