import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasBrowser, launchBrowser, listen, SCREENSHOTS } from '../support/browser.js'
import { useGateway } from '../support/harness.js'
import { tenantFetch } from '../support/oidc.js'
import { pageHelpers } from '../support/pages.js'
import { freePort } from '../support/process.js'
import { createIdp, PERSON, serveIdp } from '../support/saml-idp.js'
import { addSamlDirectory } from '../support/saml-sign-in.js'
import { startStoreApp } from '../support/store-app.js'

// Issue 10, clicked in Chromium: an employee opens the store's shop, signs in with the company
// IdP (a real SAML IdP on its own port, whose page posts the signed Response to our ACS, as
// every IdP's page does) and lands back in the shop signed in. A response the gateway refuses
// ends on a clean page.
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

  it('signs an employee in to the shop through the company IdP', async () => {
    const { tenant } = await store(undefined, 'Acme Store')
    const ssoUrl = `http://127.0.0.1:${idpServer.port}/sso`
    const directory = await addSamlDirectory(gw.db, tenant, {
      ...idp,
      ssoUrl,
      metadataXml: () => idp.metadataXml(ssoUrl),
    })
    const shop = await startStoreApp(gw, tenant, 'Shop', 'shop.localhost')
    try {
      const page = await browser.newPage()
      await page.goto(shop.url)
      await page.click('#signin')
      await page.waitForURL((url) => url.pathname === '/login')
      // The login page's "continue with your company" link: off to the IdP, back to the app.
      const returnTo = new URL(page.url()).searchParams.get('return_to')!
      const start = new URL(`/sso/${directory.id}/start`, tenant.publicUrl)
      start.searchParams.set('return_to', returnTo)
      await page.goto(start.href)
      await page.waitForURL((url) => url.href.startsWith(shop.url))
      expect(await page.textContent('#who')).toBe('Signed in as ada@corp.example (admin)')
      await page.screenshot({ path: `${SCREENSHOTS}/saml-shop-signed-in.png`, fullPage: true })

      // A response from another Issuer: the gateway refuses it, cleanly.
      const other = await browser.newPage()
      person = () => ({ ...PERSON, issuer: 'https://impostor.example/saml' })
      await other.goto(start.href)
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
})
