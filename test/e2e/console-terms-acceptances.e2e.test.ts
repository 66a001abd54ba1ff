import { describe, expect, it } from 'vitest'
import { acceptTerms, publishTerms } from '../../src/identity/terms.js'
import { seriousViolations } from '../support/axe.js'
import { hasBrowser, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { inviteMembers } from '../support/invite.js'
import { PASSWORD } from '../support/pages.js'
import { freePort } from '../support/process.js'

// Issue 11, "Terms versions with acceptances", in a real browser: each version someone accepted
// has a "Who accepted" disclosure (keyboard: Enter on its summary) whose list loads when first
// opened, 50 at a time with "Load more".
const port = await freePort()
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

describe.skipIf(!hasBrowser)('who accepted a Terms version, on the console Terms page', () => {
  const world = useBrowserWorld(gw, port)

  it('opens the list on demand, pages it, and leaves a version nobody accepted without one', async () => {
    const tenant = await gw.createTenant({ name: 'Terms Store' })
    const link = await world.inviteLink(tenant, 'boss@example.com', 'Bea', { role: 'admin' })
    const people = Array.from({ length: 54 }, (_, i) => ({ email: `p${i}@example.com` }))
    await inviteMembers(gw.db, tenant, { invitees: people }, { secretKey: gw.config.secretKey })
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, tenant.id, { title: 'v1', text: 'x' }))
    const memberships = await gw.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.id', 'u.email'])
      .where('m.tenant_id', '=', tenant.id)
      .execute()
    // The admin accepted first (the oldest: last in the list), p53 last (the newest: first).
    const minute = (email: string) =>
      email === 'boss@example.com' ? 0 : 1 + Number(email.slice(1, -12))
    for (const m of memberships)
      await acceptTerms(
        gw.db,
        { tenantId: tenant.id, membershipId: m.id, version: 1 },
        new Date(Date.UTC(2026, 0, 1, 0, minute(m.email))),
      )
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, tenant.id, { title: 'v2', text: 'y' }))
    const origin = `http://${tenant.slug}.localhost:${port}`

    const context = await world.browser.newContext()
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))
    await page.goto(`${origin}/admin`)
    await page.goto(link)
    await page.fill('#password', PASSWORD)
    await page.fill('#password-confirm', PASSWORD)
    await page.click('button[type="submit"]')
    await page.waitForURL((url) => url.pathname === '/admin/users')
    await page.goto(`${origin}/admin/terms`)
    await page.waitForSelector('table[data-list="terms"][data-loaded="2"]')
    // Nobody accepted version 2: its row has the count alone.
    expect(await page.locator('details[data-acceptances-of="2"]').count()).toBe(0)
    const rows = await page.$$eval('table[data-list="terms"] tbody tr td:nth-child(4)', (tds) =>
      tds.map((td) => td.textContent?.trim()),
    )
    expect(rows[0]).toBe('0 people')
    expect(rows[1]).toMatch(/^55 people/)
    const requests: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/acceptances')) requests.push(r.url())
    })
    const v1 = page.locator('details[data-acceptances-of="1"]')
    await expect(v1.locator('summary').textContent()).resolves.toBe('Who accepted')
    expect(requests).toEqual([])

    await v1.locator('summary').focus()
    await page.keyboard.press('Enter')
    await page.waitForSelector('details[data-acceptances-of="1"][data-loaded="50"]')
    expect(requests).toHaveLength(1)
    const first = await v1.locator('li').first().textContent()
    expect(first).toContain('p53@example.com')
    await v1.locator('button', { hasText: 'Load more' }).click()
    await page.waitForSelector('details[data-acceptances-of="1"][data-loaded="55"]')
    expect(await v1.locator('li').last().textContent()).toContain('Bea <boss@example.com>')
    expect(await v1.locator('button', { hasText: 'Load more' }).isHidden()).toBe(true)
    // Closing and opening again does not fetch again.
    await v1.locator('summary').press('Enter')
    expect(await v1.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false)
    await v1.locator('summary').press('Enter')
    expect(await v1.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(true)
    expect(await v1.locator('li').count()).toBe(55)
    expect(requests).toHaveLength(2)
    expect(await seriousViolations(page)).toEqual([])
    expect(problems).toEqual([])
    await context.close()
  })
})
