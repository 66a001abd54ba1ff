import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { seriousViolations } from '../support/axe.js'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { extractLink } from '../support/smtp.js'

// Issue 11, console pages: an admin's day in a real browser, every page through the public admin
// API with the session and the CSRF header. Each page is photographed at desktop and phone width,
// has no horizontal page scroll at 390 px, and no serious or critical axe-core violation.
const port = await freePort()
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

const DESKTOP = { width: 1280, height: 900 }

/** Screenshots at both widths, the phone's scroll width, axe; back to desktop. */
async function checkPage(page: Page, name: string) {
  await page.setViewportSize(DESKTOP)
  await page.screenshot({ path: `${SCREENSHOTS}/console-${name}.png`, fullPage: true })
  expect(await page.$eval('html', (el) => el.scrollWidth)).toBeLessThanOrEqual(DESKTOP.width)
  expect(await seriousViolations(page)).toEqual([])
  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: `${SCREENSHOTS}/console-${name}-390.png`, fullPage: true })
  expect(await page.$eval('html', (el) => el.scrollWidth)).toBeLessThanOrEqual(390)
  expect(await seriousViolations(page)).toEqual([])
  await page.setViewportSize(DESKTOP)
}

const rowsOf = (page: Page, list: string) =>
  page.$$eval(`table[data-list="${list}"] tbody tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')),
  )

describe.skipIf(!hasBrowser)('the console pages in a real browser', () => {
  const world = useBrowserWorld(gw, port)

  it('walks every page: invite, resend, revoke, apps, templates, Terms, settings, audit', async () => {
    const tenant = await gw.createTenant({ name: 'Pages Store' })
    const link = await world.inviteLink(tenant, 'boss@example.com', 'Bea', { role: 'admin' })
    const origin = `http://${tenant.slug}.localhost:${port}`

    const context = await world.browser.newContext({ viewport: DESKTOP })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (m) => {
      // The browser asks for /favicon.ico by itself; the gateway has none.
      const url = m.location().url
      if (
        m.type() === 'error' &&
        !m.text().includes('status of 400') &&
        !url.endsWith('/favicon.ico')
      )
        problems.push(`${m.text()} ${m.location().url}`)
    })
    page.on('pageerror', (e) => problems.push(e.message))
    // The two bad inputs below answer 400; anything else failing is a problem.
    page.on('response', (r) => {
      if (r.status() >= 400 && r.status() !== 400) problems.push(`${r.status()} ${r.url()}`)
    })
    await page.goto(`${origin}/admin`)
    await page.goto(link)
    await page.fill('#password', PASSWORD)
    await page.fill('#password-confirm', PASSWORD)
    await page.click('button[type="submit"]')
    await page.waitForURL((url) => url.pathname === '/admin/users')
    await page.waitForSelector('table[data-list="invitations"][data-loaded="1"]')

    // --- The invite dialog: three people, one bad line; focus goes in and comes back.
    await page.click('#invite-open')
    await page.waitForSelector('#invite-dialog[open]')
    // The dialog fills in the store's defaults once its three reads have answered.
    await page.waitForSelector('#invite-form[data-ready="1"]', { state: 'attached' })
    expect(await page.$eval(':focus', (el) => el.id)).toBe('invite-emails')
    expect(await page.inputValue('#invite-groups')).toBe('Everybody')
    await page.fill(
      '#invite-emails',
      'ann@example.com\nbob@example.com, cy@example.com\nnot-an-address',
    )
    await page.selectOption('#invite-locale', 'fr')
    await page.click('#invite-form button[type="submit"]')
    await page.waitForSelector('#invite-results:not([hidden])')
    const results = await page.$$eval('#invite-results li', (lis) =>
      lis.map((li) => [li.getAttribute('data-status'), li.textContent?.trim()]),
    )
    expect(results).toHaveLength(4)
    expect(results).toEqual(
      expect.arrayContaining([
        ['invited', 'Invited ann@example.com'],
        ['invited', 'Invited bob@example.com'],
        ['invited', 'Invited cy@example.com'],
        ['invalid', 'Invalid not-an-address — An email address needs an @.'],
      ]),
    )
    expect(await page.textContent('#invite-counts')).toBe('3 invited, 1 not invited.')
    await page.screenshot({ path: `${SCREENSHOTS}/console-invite-dialog.png`, fullPage: true })
    expect(await seriousViolations(page)).toEqual([])
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: `${SCREENSHOTS}/console-invite-dialog-390.png` })
    await page.setViewportSize(DESKTOP)
    await page.keyboard.press('Escape')
    await page.waitForSelector('#invite-dialog:not([open])', { state: 'attached' })
    expect(await page.$eval(':focus', (el) => el.id)).toBe('invite-open')

    // Their mails arrive, in the language picked.
    await world.deliver()
    for (const email of ['ann@example.com', 'bob@example.com', 'cy@example.com']) {
      const mail = await world.smtp.waitFor(email)
      expect(extractLink(mail, '/invite/')).toContain(origin)
      expect(mail.html).toContain('lang="fr"')
    }

    // --- The list: fresh invitations cannot be resent before the cooldown, and say until when.
    await page.waitForSelector('table[data-list="invitations"][data-loaded="4"]')
    const annRow = page.locator('table[data-list="invitations"] tbody tr', {
      hasText: 'ann@example.com',
    })
    expect(await annRow.locator('button[data-action="resend"]').isDisabled()).toBe(true)
    expect(await annRow.locator('.resend-at').textContent()).toMatch(/^possible from ./)
    expect(await annRow.locator('.badge').textContent()).toMatch(/^Pending/)
    await checkPage(page, 'users')

    // Revoke Bob, after saying yes in the confirmation (cancel first: nothing happens).
    const bobRow = page.locator('table[data-list="invitations"] tbody tr', {
      hasText: 'bob@example.com',
    })
    await bobRow.locator('button[data-action="revoke"]').click()
    await page.waitForSelector('#confirm-dialog[open]')
    expect(await page.textContent('#confirm-text')).toContain('bob@example.com')
    await page.click('#confirm-dialog [data-close]')
    expect(await bobRow.locator('.badge').textContent()).toMatch(/^Pending/)
    await bobRow.locator('button[data-action="revoke"]').click()
    await page.click('#confirm-dialog [data-confirm]')
    await bobRow.locator('.badge', { hasText: 'Revoked' }).waitFor()
    await page
      .locator('#console-notice', { hasText: 'The invitation of bob@example.com was revoked.' })
      .waitFor()
    const revokedRows = await rowsOf(page, 'invitations')
    expect(revokedRows.find((r) => r[0] === 'bob@example.com')?.[2]).toBe('Revoked')

    // --- Apps: register one, its secret shown once.
    await page.goto(`${origin}/admin/apps`)
    await page.waitForSelector('table[data-list="apps"][data-loaded="0"]', { state: 'attached' })
    await page.fill('#app-name', 'Shop Front')
    await page.fill('#app-redirects', 'https://shop.example.com/callback')
    // A bad redirect URI first: the API's error lands next to the field.
    await page.fill('#app-redirects', 'ftp://shop.example.com/cb')
    await page.click('#app-form button[type="submit"]')
    await page.waitForSelector('#app-redirects[aria-invalid="true"]')
    expect(await page.textContent('#app-redirects-error')).toContain('https')
    await page.fill('#app-redirects', 'https://shop.example.com/callback')
    await page.click('#app-form button[type="submit"]')
    await page.waitForSelector('#secret-dialog[open]')
    const secret = await page.inputValue('#secret-value')
    expect(secret).toMatch(/^gws_/)
    const clientId = await page.textContent('#secret-client')
    await page.screenshot({ path: `${SCREENSHOTS}/console-app-secret.png` })
    expect(await seriousViolations(page)).toEqual([])
    await page.click('#secret-dialog [data-close]')
    // Closed, the dialog keeps no copy; focus is back on the button that opened it.
    await expect.poll(() => page.inputValue('#secret-value')).toBe('')
    expect(await page.$eval(':focus', (el) => el.textContent)).toBe('Register')
    await page.waitForSelector('table[data-list="apps"][data-loaded="1"]')
    expect((await rowsOf(page, 'apps'))[0]?.slice(0, 4)).toEqual([
      'Shop Front',
      'Web app with a server',
      clientId,
      'https://shop.example.com/callback',
    ])
    await page.reload()
    await page.waitForSelector('table[data-list="apps"][data-loaded="1"]')
    expect(await page.content()).not.toContain(secret)
    await checkPage(page, 'apps')

    // --- Email templates: the preview follows the draft, styled despite the strict CSP.
    await page.goto(`${origin}/admin/templates`)
    await page.waitForSelector('#preview-frame[data-rendered]')
    expect(await page.textContent('#preview-subject')).toContain('Pages Store')
    await page.fill('#template-subject', 'Welcome to {{tenantName}}, {{greetingName}}')
    await page.locator('#preview-subject', { hasText: 'Welcome to Pages Store, Ada' }).waitFor()
    const frame = page.frameLocator('#preview-frame')
    expect(await frame.locator('a').first().getAttribute('href')).toContain('example.com')
    const background = await frame
      .locator('body')
      .evaluate(
        (b) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
          ).getComputedStyle(b).backgroundColor,
      )
    expect(background).toBe('rgb(244, 246, 251)')
    await checkPage(page, 'templates')

    // --- Terms: publish a version, see it with its acceptances.
    await page.goto(`${origin}/admin/terms`)
    await page.waitForSelector('table[data-list="terms"][data-loaded="0"]', { state: 'attached' })
    await page.fill('#terms-title', 'Store terms 2027')
    await page.fill('#terms-text', 'Be nice to each other.')
    await page.click('#terms-form button[type="submit"]')
    await page.click('#confirm-dialog [data-confirm]')
    await page.waitForSelector('table[data-list="terms"][data-loaded="1"]')
    const terms = await rowsOf(page, 'terms')
    expect(terms[0]?.[0]).toBe('1')
    expect(terms[0]?.[1]).toBe('Store terms 2027')
    expect(terms[0]?.[3]).toBe('0 people')
    await checkPage(page, 'terms')

    // --- Settings: a bad pair is refused field by field; a good change is saved.
    await page.goto(`${origin}/admin/settings`)
    await page.waitForSelector('#settings-form[data-loaded]')
    expect(await page.inputValue('#set-resendCooldown')).toBe('24h')
    await page.fill('#set-warnings-red', '30d')
    await page.click('#settings-form button[type="submit"]')
    await page.waitForSelector('#set-warnings-red[aria-invalid="true"]')
    expect(await page.textContent('#set-warnings-red-error')).toBe(
      'the red warning must not come before the yellow one',
    )
    expect(await page.$eval(':focus', (el) => el.id)).toBe('set-warnings-red')
    await checkPage(page, 'settings-error')
    await page.fill('#set-warnings-red', '3d')
    await page.fill('#set-resendCooldown', '12h')
    await page.click('#settings-form button[type="submit"]')
    await page.locator('#console-notice', { hasText: 'Saved.' }).waitFor()
    expect(await page.$('[aria-invalid="true"]')).toBeNull()
    await page.reload()
    await page.waitForSelector('#settings-form[data-loaded]')
    expect(await page.inputValue('#set-resendCooldown')).toBe('12h')
    await checkPage(page, 'settings')

    // --- Audit log: every action above, and the filters.
    await page.goto(`${origin}/admin/audit`)
    await page.waitForSelector('table[data-list="audit"][data-loaded]')
    const actions = (await rowsOf(page, 'audit')).map((r) => r[2])
    for (const action of [
      'invitation.invited',
      'invitation.revoked',
      'app.created',
      'terms.published',
      'settings.updated',
    ])
      expect(actions).toContain(action)
    expect(actions.filter((a) => a === 'invitation.invited')).toHaveLength(3)
    const who = (await rowsOf(page, 'audit')).find((r) => r[2] === 'terms.published')?.[1]
    expect(who).toBe('boss@example.com')
    await checkPage(page, 'audit')
    await page.fill('#audit-action', 'invitation.')
    await page.click('#audit-filters button[type="submit"]')
    await expect
      .poll(async () => (await rowsOf(page, 'audit')).map((r) => r[2]).sort())
      .toEqual([
        'invitation.invited',
        'invitation.invited',
        'invitation.invited',
        'invitation.revoked',
      ])
    // A bad filter: the API's message next to the field.
    await page.fill('#audit-action', 'Invitation*')
    await page.click('#audit-filters button[type="submit"]')
    await page.waitForSelector('#audit-action[aria-invalid="true"]')
    // By the actor: the admin's name filters on her id.
    await page.fill('#audit-action', '')
    await page.click('#audit-filters button[type="submit"]')
    await page.waitForSelector('table[data-list="audit"] tbody tr button.link')
    await page.locator('table[data-list="audit"] tbody tr button.link').first().click()
    expect(await page.inputValue('#audit-actor')).not.toBe('')

    // Buttons are buttons; the skip link comes first.
    await page.keyboard.press('Control+Home')
    await page.goto(`${origin}/admin/users`)
    await page.keyboard.press('Tab')
    expect(await page.$eval(':focus', (el) => el.className)).toBe('skip')

    expect(problems).toEqual([])
    await context.close()
  })
})
