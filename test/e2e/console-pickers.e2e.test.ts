import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { runImports } from '../../src/imports/run.js'
import { listApps } from '../../src/tokens/apps.js'
import { listInvitations } from '../../src/invitations/list.js'
import { seriousViolations } from '../support/axe.js'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { declareCatalogue } from '../support/catalogues.js'
import { memoryLog, useGateway } from '../support/harness.js'
import { PASSWORD } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { extractLink } from '../support/smtp.js'

// Issue 11: what the console offers comes from the store's catalogues. The invite dialog's
// role is one of the store's roles and its organization is suggested from the store's list; the
// guests page adds guests with the apps they may open (seed 002: create, then privileges); the
// apps page registers a machine app that may call the admin API; the members and invitations
// lists download as CSV (issue 12) with the session's CSRF header.
const port = await freePort()
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

async function photograph(page: Page, name: string) {
  await page.screenshot({ path: `${SCREENSHOTS}/console-${name}.png`, fullPage: true })
  expect(await seriousViolations(page)).toEqual([])
  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: `${SCREENSHOTS}/console-${name}-390.png`, fullPage: true })
  expect(await page.$eval('html', (el) => el.scrollWidth)).toBeLessThanOrEqual(390)
  expect(await seriousViolations(page)).toEqual([])
  await page.setViewportSize({ width: 1280, height: 900 })
}

describe.skipIf(!hasBrowser)('the console picks from the store’s catalogues', () => {
  const world = useBrowserWorld(gw, port)

  it('invites a manager of a store, adds a guest with an app, registers an admin machine', async () => {
    const tenant = await gw.createTenant({ name: 'Pickers Store' })
    await declareCatalogue(gw.db, tenant.id, {
      roles: ['manager'],
      organizations: [{ name: 'Store 12', kind: 'customer' }],
      products: ['reports'],
    })
    const link = await world.inviteLink(tenant, 'boss@example.com', 'Bea', { role: 'admin' })
    const origin = `http://${tenant.slug}.localhost:${port}`
    const context = await world.browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await page.goto(link)
    await page.fill('#password', PASSWORD)
    await page.fill('#password-confirm', PASSWORD)
    await page.click('button[type="submit"]')
    await page.goto(`${origin}/admin/users`)
    await page.waitForSelector('table[data-list="invitations"][data-loaded="1"]')

    // --- The invite dialog: the role from the catalogue, the organization suggested.
    await page.click('#invite-open')
    await page.waitForSelector('#invite-form[data-ready="1"]', { state: 'attached' })
    const roles = await page.$$eval('#invite-role option', (os) =>
      os.map((o) => o.getAttribute('value')),
    )
    expect(roles).toEqual(expect.arrayContaining(['admin', 'manager', 'user']))
    expect(await page.inputValue('#invite-role')).toBe('user')
    expect(
      await page.$$eval('#invite-organizations option', (os) =>
        os.map((o) => o.getAttribute('value')),
      ),
    ).toEqual(['Store 12'])
    await page.fill('#invite-emails', 'mo@example.com')
    await page.selectOption('#invite-role', 'manager')
    await page.fill('#invite-organization', 'Store 12')
    await page.click('#invite-form button[type="submit"]')
    await page.waitForSelector('#invite-results:not([hidden])')
    expect(await page.getAttribute('#invite-results li', 'data-status')).toBe('invited')
    const pending = await listInvitations(gw.db, tenant, { status: 'pending' })
    const mo = pending.items.find((i) => i.email === 'mo@example.com')
    expect(mo).toMatchObject({ role: 'manager', organization: 'Store 12' })

    // --- Guests: added with the app they may open; one bad line is reported, not sent.
    await page.goto(`${origin}/admin/guests`)
    await page.waitForSelector('table[data-guests][data-loaded="0"]')
    await page.click('[data-add-guests-box] summary')
    await page.waitForSelector('[data-guest-apps] input[type="checkbox"]')
    await page.fill('#g-emails', 'gia@example.com, not-an-address')
    await page.check('[data-guest-apps] label:has-text("App of reports")')
    await page.click('[data-add-guests] button[type="submit"]')
    await page.waitForSelector('table[data-guests][data-loaded="1"]')
    const results = await page.$$eval('[data-add-results] li', (lis) =>
      lis.map((li) => [li.getAttribute('data-status'), li.textContent]),
    )
    expect(results).toEqual(
      expect.arrayContaining([
        ['invited', 'Invited gia@example.com'],
        ['invalid', expect.stringMatching(/^Not invited: not-an-address \(/)],
      ]),
    )
    const reportsApp = (await listApps(gw.db, tenant.id)).find((a) => a.product === 'reports')!
    expect(
      await page.getAttribute(`button[data-client="${reportsApp.clientId}"]`, 'aria-pressed'),
    ).toBe('true')
    await world.deliver()
    expect(extractLink(await world.smtp.waitFor('gia@example.com'), '/invite/')).toContain(
      '/invite/',
    )
    await photograph(page, 'guests-added')

    // --- Exports: the members list as filtered, and the invitations, as CSV files.
    const saved = async (click: () => Promise<void>) => {
      const [file] = await Promise.all([page.waitForEvent('download'), click()])
      const path = await file.path()
      return { name: file.suggestedFilename(), text: readFileSync(path!, 'utf8') }
    }
    await page.goto(`${origin}/admin/members`)
    await page.waitForSelector('table[data-members][data-loaded]')
    await page.selectOption('#f-kind', 'guest')
    const guests = await saved(() => page.click('button[data-download="members/export"]'))
    expect(guests.name).toMatch(/^members-.*\.csv$/)
    expect(guests.text.split('\r\n')[0]).toMatch(/^email,firstName,lastName,/)
    expect(guests.text).toContain('gia@example.com')
    expect(guests.text).not.toContain('boss@example.com')
    await page.goto(`${origin}/admin/invitations`)
    await page.waitForSelector('table[data-list="invitations"][data-loaded]')
    const invitations = await saved(() =>
      page.click('button[data-download$="/invitations/export"]'),
    )
    expect(invitations.text).toContain('mo@example.com')
    expect(invitations.text).toContain('gia@example.com')

    // --- Import: the template, a file picked, the bar to the end, the per-row report. The
    // job runs as the gateway's own job does (runImports), while the page follows it.
    await page.goto(`${origin}/admin/imports`)
    await page.waitForSelector('table[data-list="imports"][data-loaded="0"]', { state: 'attached' })
    const template = await saved(() => page.click('button[data-download$="/imports/template"]'))
    expect(template.text.split('\r\n')[0]).toContain('App of reports')
    await page.setInputFiles('#import-file', {
      name: 'people ü.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'email;firstName;kind\nimp@example.com;Imma;member\nnot-an-address;X;member\n',
      ),
    })
    await page.click('#import-form button[type="submit"]')
    await page.waitForSelector('#import-progress:not([hidden])')
    // The job's runs until the import is done (no clock: each run applies what it can), then
    // the page, which asks every second, shows it.
    for (;;) {
      await runImports(gw.db, {
        secretKey: gw.config.secretKey,
        urls: gw.config,
        log: memoryLog().log,
      })
      const job = await gw.db
        .selectFrom('imports')
        .select('state')
        .where('tenant_id', '=', tenant.id)
        .executeTakeFirst()
      if (job?.state === 'done' || job?.state === 'failed') break
      await new Promise((r) => setTimeout(r, 100))
    }
    await page.waitForSelector('#import-progress[data-state="done"]', { state: 'attached' })
    expect(await page.textContent('#import-status')).toBe('Done: 2 of 2 rows')
    expect(await page.textContent('#import-counts')).toBe('1 invited, 1 invalid')
    const importReport = await saved(() => page.click('#import-report'))
    expect(importReport.text).toMatch(/^line,email,outcome,reason\r\n/)
    expect(importReport.text).toContain('2,imp@example.com,invited')
    await page.waitForSelector('table[data-list="imports"][data-loaded="1"]')
    expect((await page.textContent('table[data-list="imports"] tbody td'))?.trim()).toBe(
      'people ü.csv',
    )
    await photograph(page, 'imports')

    // --- The same pages in French (the console speaks en/fr/nl/de like the sign-in pages).
    await page.goto(`${origin}/admin/guests?lang=fr`)
    await page.waitForSelector('table[data-guests][data-loaded="1"]')
    expect(await page.textContent('h1')).toBe('Invités')
    expect(await page.textContent('[data-add-guests-box] summary')).toBe('Ajouter des invités')
    await photograph(page, 'guests-fr')
    await page.goto(`${origin}/admin/imports?lang=fr`)
    await page.waitForSelector('table[data-list="imports"][data-loaded]', { state: 'attached' })
    expect(await page.textContent('#import-title')).toBe(
      'Importer des personnes depuis un fichier CSV',
    )
    await photograph(page, 'imports-fr')

    // --- Apps: the admin API box shows for a machine app only, and is what gets registered.
    await page.goto(`${origin}/admin/apps`)
    await page.waitForSelector('table[data-list="apps"][data-loaded="1"]', { state: 'attached' })
    expect(await page.isVisible('#app-admin-api')).toBe(false)
    await page.selectOption('#app-type', 'machine')
    expect(await page.isVisible('#app-admin-api')).toBe(true)
    await page.fill('#app-name', 'Sync bot')
    await page.check('#app-admin-api')
    await page.click('#app-form button[type="submit"]')
    await page.waitForSelector('#secret-dialog[open]')
    await page.click('#secret-dialog [data-close]')
    const bot = (await listApps(gw.db, tenant.id)).find((a) => a.name === 'Sync bot')
    expect(bot).toMatchObject({ type: 'machine', adminApi: true })
    // The form is reset: the box goes with the machine type.
    expect(await page.inputValue('#app-type')).toBe('web')
    await expect.poll(() => page.isVisible('#app-admin-api')).toBe(false)
    await context.close()
  })
})
