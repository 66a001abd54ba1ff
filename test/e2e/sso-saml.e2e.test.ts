import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasBrowser, launchBrowser, listen, SCREENSHOTS } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { tenantFetch } from '../support/oidc.js'
import { pageHelpers } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { createIdp, MALLORY, PERSON, serveIdp } from '../support/saml-idp.js'
import { addSamlDirectory } from '../support/saml-sign-in.js'
import { startStoreApp } from '../support/store-app.js'

// Issue 10, clicked in Chromium: an employee opens the store's shop, signs in with the company
// IdP (a real SAML IdP on its own port, whose page posts the signed Response to our ACS, as
// every IdP's page does), goes through the ACS's same-site continue step and lands back in the
// shop signed in. A response the gateway refuses ends on a clean page; so does an attacker's
// response posted by a victim's browser (login CSRF).
const port = await freePort()
const gw = useGateway({ PORT: String(port) })
const { store } = pageHelpers(gw)
const idp = createIdp()

describe.skipIf(!hasBrowser)('SAML sign-in in Chromium', () => {
  let browser: Browser
  let gateway: Awaited<ReturnType<typeof listen>>
  let idpServer: Awaited<ReturnType<typeof serveIdp>>
  let person: Parameters<typeof serveIdp>[2] = () => PERSON
  beforeAll(async () => {
    browser = await launchBrowser()
    gateway = await listen(gw, port)
    // The IdP reads our SP metadata where its admin pointed it: our entity ID is that URL.
    idpServer = await serveIdp(
      idp,
      async (issuer) => (await tenantFetch(issuer)).text(),
      () => person(),
    )
  })
  afterAll(async () => {
    await browser?.close()
    await gateway?.close()
    await idpServer?.close()
  })

  /** A store whose directory trusts the IdP served on its own port. */
  async function samlStore() {
    const { tenant } = await store(undefined, 'Acme Store')
    const ssoUrl = `http://127.0.0.1:${idpServer.port}/sso`
    const directory = await addSamlDirectory(gw.db, tenant, {
      ...idp,
      ssoUrl,
      metadataXml: () => idp.metadataXml(ssoUrl),
    })
    return { tenant, directory }
  }

  it('signs an employee in to the shop through the company IdP', async () => {
    const { tenant, directory } = await samlStore()
    const shop = await startStoreApp(gw, tenant, 'Shop', 'shop.localhost')
    try {
      const page = await browser.newPage()
      // What Chromium sends to the ACS (a cross-site POST) and to its continue step (a GET).
      const sent: Promise<{ path: string; cookie: string }>[] = []
      page.on('request', (request) => {
        const path = new URL(request.url()).pathname
        if (/\/(acs|continue)$/.test(path))
          sent.push(request.allHeaders().then((h) => ({ path, cookie: h['cookie'] ?? '' })))
      })
      await page.goto(shop.url)
      await page.click('#signin')
      await page.waitForURL((url) => url.pathname === '/login')
      // The directory claims corp.example: the login page asks for the email first, and a
      // company address goes to the company's IdP (home-realm discovery), then back to the app.
      await page.screenshot({ path: `${SCREENSHOTS}/saml-email-first.png`, fullPage: true })
      expect(await page.locator('#password').count()).toBe(0)
      await page.fill('#email', 'ada@corp.example')
      await page.click('button[type=submit]')
      await page.waitForURL((url) => url.href.startsWith(shop.url))
      expect(await page.textContent('#who')).toBe('Signed in as ada@corp.example (admin)')
      await page.screenshot({ path: `${SCREENSHOTS}/saml-shop-signed-in.png`, fullPage: true })
      // SameSite=Lax at work: the browser binding is not sent with the IdP's cross-site POST,
      // and is with the same-site GET the ACS sends on to, where the person is signed in.
      const acs = `/sso/saml/${directory.id}/acs`
      const next = `/sso/saml/${directory.id}/continue`
      const [posted, continued] = await Promise.all(sent)
      expect([posted?.path, continued?.path]).toEqual([acs, next])
      expect(posted!.cookie).not.toContain('gw_sso_browser')
      expect(continued!.cookie).toContain('gw_sso_browser')

      // A response from another Issuer: the gateway refuses it, cleanly.
      const other = await browser.newPage()
      person = () => ({ ...PERSON, issuer: 'https://impostor.example/saml' })
      await other.goto(new URL(`/sso/${directory.id}/start`, tenant.publicUrl).href)
      await other.waitForURL((url) => url.pathname.endsWith('/acs'))
      expect(await other.textContent('h1')).toBe('Sign-in with your company failed')
      const refused = gw.logs().filter((l) => l['event'] === 'sso_refused')
      expect(refused.map((l) => l['reason'])).toEqual(['wrong_issuer'])
      await other.screenshot({ path: `${SCREENSHOTS}/saml-refused.png`, fullPage: true })
    } finally {
      person = () => PERSON
      await shop.close()
    }
  })

  it("refuses the attacker's response posted by the victim's browser (login CSRF, OWASP ASVS 5.0 V10)", async () => {
    const { tenant, directory } = await samlStore()
    const start = new URL(`/sso/${directory.id}/start`, tenant.publicUrl).href
    const acs = new URL(`/sso/saml/${directory.id}/acs`, tenant.publicUrl).href
    const attacker = await browser.newContext()
    const victim = await browser.newContext()
    const sessionOf = async () =>
      (await victim.cookies(tenant.publicUrl)).find((c) => c.name === 'gw_session')?.value
    try {
      // The victim is signed in as themselves (Ada), through the company IdP.
      const page = await victim.newPage()
      await page.goto(start)
      await page.waitForURL((url) => url.host === new URL(acs).host && url.pathname === '/')
      const before = await sessionOf()
      expect(before).toBeDefined()

      // The attacker signs in with their own company account and keeps the IdP's response.
      person = () => MALLORY
      const own = await attacker.newPage()
      const kept = new Promise<string>((resolve) => {
        void own.route(acs, async (route) => {
          resolve(new URLSearchParams(route.request().postData() ?? '').get('SAMLResponse')!)
          await route.abort()
        })
      })
      void own.goto(start).catch(() => undefined)
      const SAMLResponse = await kept

      // The victim visits the attacker's page, whose form posts that response to our ACS.
      await page.goto('about:blank')
      await page.setContent(
        `<form method="post" action="${acs}"><input type="hidden" name="SAMLResponse" value="${SAMLResponse}"><button>Continue</button></form>`,
      )
      await Promise.all([
        page.waitForURL((url) => url.host === new URL(acs).host),
        page.click('button'),
      ])
      expect(new URL(page.url()).pathname).toBe(`/sso/saml/${directory.id}/continue`)
      expect(await page.textContent('h1')).toBe('Sign-in with your company failed')
      await page.screenshot({ path: `${SCREENSHOTS}/saml-login-csrf-refused.png`, fullPage: true })
      const refused = gw.logs().filter((l) => l['event'] === 'sso_refused')
      expect(refused.map((l) => l['reason'])).toContain('browser_mismatch')
      // Still Ada's session; Mallory was never made nor signed in.
      expect(await sessionOf()).toBe(before)
      const users = await gw.db
        .selectFrom('users')
        .select('subject')
        .where('directory_id', '=', directory.id)
        .execute()
      expect(users).toEqual([{ subject: 'ada@corp.example' }])
    } finally {
      person = () => PERSON
      await attacker.close()
      await victim.close()
    }
  })
})
