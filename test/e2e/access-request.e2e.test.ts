import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { seriousViolations } from '../support/axe.js'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { extractLink } from '../support/smtp.js'

// Issue 12 (seed 002), as people do it: a guest asks for access from the login page, the admin
// gets the mail, approves in the console (an invitation goes out), and unsubscribes from the
// mail's link. Every page photographed and checked with axe-core (no serious violation).
const port = await freePort()
// Own database: world.deliver() sends every tenant's due mail.
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

async function check(page: Page, name: string) {
  await page.screenshot({ path: `${SCREENSHOTS}/access-request-${name}.png`, fullPage: true })
  expect(await seriousViolations(page)).toEqual([])
}

describe.skipIf(!hasBrowser)('access requests in a real browser', () => {
  const world = useBrowserWorld(gw, port)

  it('asks from the login page, the admin approves in the console, then unsubscribes', async () => {
    const tenant = await gw.createTenant({ name: 'Request Store' })
    const adminLink = await world.inviteLink(tenant, 'boss@example.com', 'Bea', { role: 'admin' })
    const origin = `http://${tenant.slug}.localhost:${port}`

    // The admin activates their account first: only active admins are told.
    const problems: string[] = []
    const admin = await (await world.browser.newContext()).newPage()
    admin.on('pageerror', (e) => problems.push(e.message))
    await admin.goto(`${origin}/admin`)
    await admin.goto(adminLink)
    await admin.fill('#password', PASSWORD)
    await admin.fill('#password-confirm', PASSWORD)
    await admin.click('button[type="submit"]')
    await admin.waitForURL((url) => url.pathname === '/admin/users')

    // The guest: login page → "Request access" → the form, a mistake, then the request.
    const guest = await (await world.browser.newContext()).newPage()
    guest.on('pageerror', (e) => problems.push(e.message))
    await guest.goto(`${origin}/login`)
    await guest.click('a[href="/request-access"]')
    await guest.waitForURL((url) => url.pathname === '/request-access')
    await check(guest, 'form')
    await guest.fill('#email', 'grace@example.com')
    await guest.fill('#name', ' ')
    await guest.$eval('#name', (el) => el.removeAttribute('required'))
    await guest.click('button[type="submit"]')
    expect(await guest.textContent('main')).toContain('Enter your name')
    expect(await guest.getAttribute('#name', 'aria-invalid')).toBe('true')
    await check(guest, 'form-error')
    await guest.fill('#name', 'Grace Hopper')
    await guest.fill('#message', 'I run the Paris shop.')
    await guest.click('button[type="submit"]')
    expect(await guest.textContent('main')).toContain('Your request has been passed on')
    await check(guest, 'sent')

    // The admin's mail: a link to the console, and the one-click unsubscribe.
    await world.deliver()
    const mail = world.smtp.messages.find(
      (m) => m.envelope.rcptTo.includes('boss@example.com') && m.subject.includes('grace@'),
    )
    expect(mail?.text).toContain('I run the Paris shop.')

    // The admin, in the console.
    await admin.click('nav a[href="/admin/access-requests"]')
    await admin.waitForSelector('.access-requests[data-ready="1"]')
    await admin.waitForSelector('#ar-subscribed:not([disabled])')
    expect(await admin.isChecked('#ar-subscribed')).toBe(true)
    const rows = await admin.$$eval('table[data-list="access-requests"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)),
    )
    expect(rows).toEqual([['grace@example.com', 'Grace Hopper', 'I run the Paris shop.']])
    await check(admin, 'console')
    // On a phone: nothing wider than the screen but the table's own scroller.
    await admin.setViewportSize({ width: 390, height: 844 })
    expect(await admin.$eval('html', (el) => el.scrollWidth)).toBeLessThanOrEqual(390)
    await check(admin, 'console-390')
    await admin.setViewportSize({ width: 1280, height: 900 })
    await admin.click('button[data-approve]')
    await admin.waitForSelector('#ar-approve-dialog[open]')
    expect(await admin.textContent('#ar-approve-title')).toBe(
      'Approve the request of grace@example.com',
    )
    await check(admin, 'approve-dialog')
    await admin.selectOption('#ar-kind', 'guest')
    await admin.click('#ar-approve-form button[type="submit"]')
    await admin.locator('#ar-notice', { hasText: 'Approved' }).waitFor()
    expect(await admin.textContent('#ar-notice')).toBe(
      'Approved: an invitation was sent to grace@example.com.',
    )
    await admin.waitForSelector('table[data-list="access-requests"] tbody tr', {
      state: 'detached',
    })
    await world.deliver()
    const invitation = await world.smtp.waitFor('grace@example.com')
    expect(extractLink(invitation, '/invite/')).toContain(origin)
    const membership = await gw.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.kind', 'u.first_name', 'u.last_name'])
      .where('m.tenant_id', '=', tenant.id)
      .where('u.email', '=', 'grace@example.com')
      .executeTakeFirstOrThrow()
    expect(membership).toEqual({ kind: 'guest', first_name: 'Grace', last_name: 'Hopper' })

    // The subscription toggle, off and on again, through the API.
    await admin.uncheck('#ar-subscribed')
    await admin.locator('#ar-notice', { hasText: 'saved' }).waitFor()
    await admin.check('#ar-subscribed')

    // The mail's unsubscribe link: a confirmation page, then done.
    const unsubscribe = extractLink(mail!, '/access-requests/unsubscribe')
    await guest.goto(unsubscribe)
    await check(guest, 'unsubscribe')
    await guest.click('button[type="submit"]')
    expect(await guest.textContent('main')).toContain('no longer receive emails')
    await check(guest, 'unsubscribed')
    expect(problems).toEqual([])
  })
})
