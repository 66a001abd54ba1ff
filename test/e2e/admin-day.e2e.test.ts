import * as client from 'openid-client'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { seriousViolations } from '../support/axe.js'
import { hasBrowser, SCREENSHOTS, useBrowserWorld } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { authorize, relyingParty, verifyAccessToken } from '../support/oidc.js'
import { PASSWORD } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { extractLink } from '../support/smtp.js'

// Issue 11, "How it will be checked": the admin's day in a real browser. She signs in to the
// console, invites three people, they get their mail from a real SMTP server, one activates,
// the members list shows it, she edits a member's groups, disables one (their next refresh is
// refused), toggles a guest's app in the grid (the guest's next token carries it), and reads
// each action in the audit log. Every people page: screenshots at desktop and 390 px, axe-core.
const port = await freePort()
// Own database: world.deliver() sends every tenant's due mail.
const gw = useGateway({ PORT: String(port) }, { database: 'own' })

/** A call of the admin API from the page, as its own script makes it: session + X-CSRF-Token. */
function pageApi(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  // A string: the tests compile without the DOM library.
  const call = JSON.stringify({
    method,
    path,
    body: body === undefined ? null : JSON.stringify(body),
  })
  return page.evaluate(`(async () => {
    const { method, path, body } = ${call}
    const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''
    const headers = { Accept: 'application/json', 'X-CSRF-Token': token }
    if (body !== null) headers['Content-Type'] = 'application/json'
    const res = await fetch(path, { method, credentials: 'same-origin', headers, ...(body !== null && { body }) })
    return { status: res.status, body: res.status === 204 ? null : await res.json() }
  })()`)
}

// The page's document, typed for the functions Playwright runs there (no DOM library here).
type Doc = {
  document: {
    querySelectorAll(s: string): { length: number }
    querySelector(s: string): { textContent: string | null } | null
  }
}
const rowCount = (page: Page, table: string, n: number) =>
  page.waitForFunction(
    ([t, count]) =>
      (globalThis as unknown as Doc).document.querySelectorAll(`${t} tbody tr`).length === count,
    [table, n] as const,
  )
/** Waits until the element's text is `text` (a function, not a string: the CSP forbids eval). */
const textIs = (page: Page, selector: string, text: string) =>
  page.waitForFunction(
    ([sel, want]) =>
      (globalThis as unknown as Doc).document.querySelector(sel)?.textContent === want,
    [selector, text] as const,
  )

/** Desktop and 390 px screenshots, nothing wider than the phone but tables' own scrollers, axe. */
async function checkPage(page: Page, name: string) {
  await page.setViewportSize({ width: 1280, height: 900 })
  await page.screenshot({ path: `${SCREENSHOTS}/people-${name}.png`, fullPage: true })
  expect(await seriousViolations(page)).toEqual([])
  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: `${SCREENSHOTS}/people-${name}-390.png`, fullPage: true })
  expect([name, await page.$eval('html', (el) => el.scrollWidth)]).toEqual([
    name,
    expect.toSatisfy((w: number) => w <= 390),
  ])
  expect(await seriousViolations(page)).toEqual([])
  await page.setViewportSize({ width: 1280, height: 900 })
}

const rowsOf = (page: Page, table: string) =>
  page.$$eval(`${table} tbody tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim())),
  )

describe.skipIf(!hasBrowser)("the admin's day in the console", () => {
  const world = useBrowserWorld(gw, port)

  it('invites, sees activation, edits groups, disables, grants a guest an app, reads the audit log', async () => {
    const tenant = await gw.createTenant({ name: 'Day Store' })
    const origin = `http://${tenant.slug}.localhost:${port}`
    const api = `/admin/api/v1/tenants/${tenant.slug}`
    // The store's apps (registered through the API layer; the apps page is another helper's).
    const shop = await relyingParty(gw, tenant)
    const reports = await relyingParty(gw, tenant, {
      name: 'Reports',
      type: 'web',
      redirectUris: ['https://app.example/callback'],
      product: 'reports',
    })

    // The first admin (no console before her): invited, activated in the browser.
    const adminLink = await world.inviteLink(tenant, 'olga@example.com', 'Olga', { role: 'admin' })
    const admin = await world.browser.newContext()
    const page = await admin.newPage()
    await page.goto(`${origin}/admin/members`)
    expect(new URL(page.url()).pathname).toBe('/login')
    await page.goto(adminLink)
    await page.fill('#password', PASSWORD)
    await page.fill('#password-confirm', PASSWORD)
    await page.click('button[type="submit"]')
    await page.waitForURL((url) => url.pathname === '/admin/members')

    // Groups: create two, rename one, delete it; Everybody is built in and cannot go.
    await page.goto(`${origin}/admin/groups`)
    await page.waitForSelector('table[data-groups][data-loaded="1"]')
    expect(await rowsOf(page, 'table[data-groups]')).toEqual([['Everybody Built in', '1', '']])
    for (const name of ['Sales', 'Temp']) {
      await page.fill('#new-group', name)
      await page.press('#new-group', 'Enter')
      await page.waitForSelector(`tr[data-group="${name}"]`)
    }
    // Taken names are refused next to the field.
    await page.fill('#new-group', 'sales')
    await page.click('[data-create-group] button[type="submit"]')
    await page.waitForSelector(
      '[data-create-group] [aria-invalid="true"], [data-action-error]:not(:empty)',
    )
    expect(await page.textContent('[data-action-error]')).toMatch(/exists already/)
    await page.fill('tr[data-group="Temp"] input', 'Scratch')
    await page.click('tr[data-group="Temp"] [data-action="rename"]')
    await page.waitForSelector('tr[data-group="Scratch"]')
    page.once('dialog', (d) => void d.accept())
    await page.click('tr[data-group="Scratch"] [data-action="delete"]')
    await page.waitForSelector('tr[data-group="Scratch"]', { state: 'detached' })
    expect(await page.$('tr[data-group="Everybody"] [data-action="delete"]')).toBeNull()
    await checkPage(page, 'groups')

    // Three invitations. The invite dialog is the "pages" helper's: until it is merged, the
    // console's own way through the admin API, from this page with its session.
    await page.goto(`${origin}/admin/members`)
    const invited = await pageApi(page, 'POST', `${api}/invitations`, {
      invitees: [
        { email: 'ana@example.com', firstName: 'Ana', lastName: 'Alves' },
        { email: 'bob@example.com', firstName: 'Bob', lastName: 'Brown' },
      ],
    })
    expect(invited.status).toBe(200)
    const guest = await pageApi(page, 'POST', `${api}/invitations`, {
      invitees: [{ email: 'gus@example.com', firstName: 'Gus' }],
      kind: 'guest',
    })
    expect(guest.status).toBe(200)
    await world.deliver()
    const links: Record<string, string> = {}
    for (const email of ['ana@example.com', 'bob@example.com', 'gus@example.com'])
      links[email] = extractLink(await world.smtp.waitFor(email), '/invite/')

    await page.reload()
    await page.waitForSelector('table[data-members][data-loaded="4"]')
    expect(await page.textContent('[data-total]')).toBe('4 people')
    const statusOf = async (email: string) =>
      (await rowsOf(page, 'table[data-members]')).find((r) => r[2] === email)?.[1]
    expect(await statusOf('ana@example.com')).toBe('Invited')

    // Ana activates in a browser of her own.
    const anaContext = await world.browser.newContext()
    const ana = await anaContext.newPage()
    await ana.goto(links['ana@example.com']!)
    await ana.fill('#password', PASSWORD)
    await ana.fill('#password-confirm', PASSWORD)
    await ana.click('button[type="submit"]')
    await ana.waitForURL((url) => url.pathname === '/')
    await anaContext.close()

    // The list, searched as the admin types, shows her active now.
    await page.fill('#f-q', 'ana')
    await rowCount(page, 'table[data-members]', 1)
    expect(await rowsOf(page, 'table[data-members]')).toEqual([
      ['Ana Alves', 'Active', 'ana@example.com', 'Member', 'user', 'Everybody'],
    ])
    await page.fill('#f-q', '')
    await page.selectOption('#f-status', 'invited')
    await rowCount(page, 'table[data-members]', 2)
    expect((await rowsOf(page, 'table[data-members]')).map((r) => r[2])).toEqual([
      'bob@example.com',
      'gus@example.com',
    ])
    await page.selectOption('#f-status', '')
    await page.selectOption('#f-kind', 'guest')
    await rowCount(page, 'table[data-members]', 1)
    await page.selectOption('#f-kind', '')
    await page.selectOption('#f-sort', '-name')
    await textIs(page, 'table[data-members] tbody tr td', 'Olga')
    await rowCount(page, 'table[data-members]', 4)
    await checkPage(page, 'members')

    // Ana's app tokens, before the admin touches her.
    const anaTokens = (
      await authorize(shop.config, { email: 'ana@example.com', password: PASSWORD })
    ).tokens!
    expect(anaTokens.refresh_token).toBeTruthy()

    // Her page: every field; her groups edited; an invalid phone told next to the field.
    await page.click('table[data-members] a:text("Ana Alves")')
    await page.waitForSelector('.people[data-loaded]')
    expect(await page.textContent('h1')).toBe('Ana Alves')
    expect(await page.textContent('[data-fact="email"]')).toBe('ana@example.com')
    expect(await page.textContent('[data-fact="status"]')).toBe('Active')
    // A member already: nothing to convert. Products are named by their apps.
    expect(await page.isVisible('[data-action="convert"]')).toBe(false)
    expect(await page.textContent('[data-choices="products"]')).toContain(
      `Shop (${shop.app.clientId})`,
    )
    await page.fill('#m-phone', '+'.padEnd(60, '1'))
    await page.check('[data-choices="groups"] input[value="Sales"]')
    await page.click('[data-edit] button[type="submit"]')
    await page.waitForSelector('#m-phone[aria-invalid="true"]')
    expect(await page.textContent('#e-phone')).not.toBe('')
    await page.fill('#m-phone', '+32 2 555 01 02')
    await page.fill('#m-jobTitle', 'Buyer')
    await page.click('[data-edit] button[type="submit"]')
    await textIs(page, '[data-state]', 'Saved.')
    expect(await page.$('#m-phone[aria-invalid]')).toBeNull()
    const anaId = (await page.getAttribute('.people', 'data-member'))!
    const edited = await pageApi(page, 'GET', `${api}/members/${anaId}`)
    expect(edited.body).toMatchObject({
      groups: ['Everybody', 'Sales'],
      phone: '+32 2 555 01 02',
      jobTitle: 'Buyer',
    })
    await checkPage(page, 'member')

    // Disabled: her next refresh is refused at once.
    await page.click('[data-action="toggle"]')
    await textIs(page, '[data-fact="status"]', 'Disabled')
    expect(await page.textContent('[data-action="toggle"]')).toBe('Enable')
    await expect(
      client.refreshTokenGrant(shop.config, anaTokens.refresh_token!),
    ).rejects.toMatchObject({ error: 'invalid_grant' })

    // Bob is removed, after a confirmation.
    const bob = await pageApi(page, 'GET', `${api}/members?q=bob`)
    await page.goto(`${origin}/admin/members/${bob.body.items[0].id}`)
    await page.waitForSelector('.people[data-loaded]')
    page.once('dialog', (d) => void d.accept())
    await page.click('[data-action="remove"]')
    await page.waitForSelector('.people[data-removed]')
    expect((await pageApi(page, 'GET', `${api}/members?q=bob`)).body.items).toEqual([])

    // Gus, the guest, activates; the grid grants him Reports with a click and Shop with the
    // keyboard (Space), then takes Shop back with Enter.
    const gusContext = await world.browser.newContext()
    const gusPage = await gusContext.newPage()
    await gusPage.goto(links['gus@example.com']!)
    await gusPage.fill('#password', PASSWORD)
    await gusPage.fill('#password-confirm', PASSWORD)
    await gusPage.click('button[type="submit"]')
    await gusPage.waitForURL((url) => url.pathname === '/')
    await gusContext.close()
    const gus = { email: 'gus@example.com', password: PASSWORD }
    expect((await authorize(reports.config, gus)).tokens).toBeUndefined()

    await page.goto(`${origin}/admin/guests`)
    await page.waitForSelector('table[data-guests][data-loaded="1"]')
    expect(await page.textContent('[data-total]')).toBe('1 person')
    expect(
      await page.$$eval('table[data-guests] thead th', (ths) => ths.map((t) => t.textContent)),
    ).toEqual(['Guest', 'Reports', 'Shop'])
    const cell = (app: { app: { clientId: string } }) => `button[data-client="${app.app.clientId}"]`
    // Creation date on hover, and for screen readers.
    const rowHead = await page.$eval('table[data-guests] tbody th', (th) => ({
      title: th.querySelector('a')?.title,
      text: th.textContent,
    }))
    expect(rowHead.title).toMatch(/^Created on /)
    expect(rowHead.text).toContain(rowHead.title)
    await page.fill('#g-q', 'nobody')
    await page.waitForSelector('table[data-guests][data-loaded="0"]')
    await page.fill('#g-q', 'gus@')
    await page.waitForSelector('table[data-guests][data-loaded="1"]')
    expect(await page.getAttribute(cell(reports), 'aria-pressed')).toBe('false')
    await page.click(cell(reports))
    await page.waitForSelector(`${cell(reports)}[aria-pressed="true"]:not([disabled])`)
    await page.focus(cell(shop))
    await page.keyboard.press('Space')
    await page.waitForSelector(`${cell(shop)}[aria-pressed="true"]:not([disabled])`)
    expect(await page.$eval(':focus', (el) => el.getAttribute('data-client'))).toBe(
      shop.app.clientId,
    )
    await page.keyboard.press('Enter')
    await page.waitForSelector(`${cell(shop)}[aria-pressed="false"]:not([disabled])`)
    await checkPage(page, 'guests')

    const gusTokens = (await authorize(reports.config, gus)).tokens!
    const claims = (await verifyAccessToken(tenant.publicUrl, gusTokens.access_token)).payload
    expect(claims['products']).toEqual(['reports'])
    expect((await authorize(shop.config, gus)).tokens).toBeUndefined()

    // Gus becomes a member (seed 002: "converted to a user"); Ana is enabled again.
    await page.click('table[data-guests] tbody th a')
    await page.waitForSelector('.people[data-loaded]')
    expect(await page.textContent('[data-fact="kind"]')).toBe('Guest')
    await page.click('[data-action="convert"]')
    await textIs(page, '[data-fact="kind"]', 'Member')
    expect(await page.isVisible('[data-action="convert"]')).toBe(false)
    await page.goto(`${origin}/admin/members/${anaId}`)
    await page.waitForSelector('.people[data-loaded]')
    expect(await page.textContent('[data-fact="status"]')).toBe('Disabled')
    await page.click('[data-action="toggle"]')
    await textIs(page, '[data-fact="status"]', 'Active')
    // The admin cannot disable herself: the API's refusal is shown on the page.
    const olga = await pageApi(page, 'GET', `${api}/members?q=olga`)
    await page.goto(`${origin}/admin/members/${olga.body.items[0].id}`)
    await page.waitForSelector('.people[data-loaded]')
    await page.click('[data-action="toggle"]')
    await page.waitForSelector('[data-action-error]:not(:empty)')
    expect(await page.textContent('[data-action-error]')).toMatch(/yourself/)
    expect(await page.textContent('[data-fact="status"]')).toBe('Active')

    // The audit log: each of these actions, by this admin.
    const audit = await pageApi(page, 'GET', `${api}/audit?limit=200`)
    expect(audit.status).toBe(200)
    type Event = {
      action: string
      actor: { kind: string }
      subject: { label: string | null } | null
    }
    const events = (audit.body.events as Event[]).filter((e) => e.actor.kind === 'admin')
    const actions = events.map((e) => e.action)
    for (const action of [
      'group.created',
      'group.changed',
      'group.deleted',
      'invitation.invited',
      'member.changed',
      'member.disabled',
      'member.removed',
      'member.app_granted',
      'member.app_revoked',
      'member.converted',
      'member.enabled',
    ])
      expect([action, actions.includes(action)]).toEqual([action, true])
    expect(actions.filter((a) => a === 'invitation.invited')).toHaveLength(3)
    expect(actions.filter((a) => a === 'member.app_granted')).toHaveLength(2)
    expect(events.find((e) => e.action === 'member.disabled')?.subject?.label).toBe(
      'ana@example.com',
    )
    await admin.close()
  })
})
