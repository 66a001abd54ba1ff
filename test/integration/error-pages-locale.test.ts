import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { updateSettings } from '../../src/tenants/tenants.js'
import { useGateway } from '../support/harness.js'

// Issue 11: "error pages in the visitor's language", like the other pages (http/page-locale.ts).
describe('error pages in the visitor’s language', () => {
  const gw = useGateway()
  const page = (host: string, path: string, language?: string) => {
    const req = supertest(gw.app).get(path).set('Host', host).set('Accept', 'text/html')
    return language ? req.set('Accept-Language', language) : req
  }

  it('answers a 404 on a store in the Accept-Language the store speaks, with a way home', async () => {
    const tenant = await gw.createTenant()
    const host = `${tenant.slug}.localhost`
    const fr = await page(host, '/nulle-part', 'fr-BE,fr;q=0.9,en;q=0.5')
    expect(fr.status).toBe(404)
    expect(fr.text).toContain('<html lang="fr">')
    expect(fr.text).toContain('<h1>Page introuvable</h1>')
    expect(fr.text).toContain('Il n’y a rien à cette adresse.')
    expect(fr.text).toContain('<a href="/">Aller à l’accueil du store</a>')
    const nl = await page(host, '/nergens?lang=nl')
    expect(nl.text).toContain('<h1>Pagina niet gevonden</h1>')
  })

  it("uses the store's default language when the browser names none we ship", async () => {
    const tenant = await gw.createTenant()
    await updateSettings(gw.db, tenant, { defaultLocale: 'de' }, gw.config.passwordPolicies)
    const res = await page(`${tenant.slug}.localhost`, '/nirgends', 'ja')
    expect(res.text).toContain('<h1>Seite nicht gefunden</h1>')
  })

  it('speaks the browser’s language on an unknown host and for a 400 too', async () => {
    const unknown = await page('nobody.localhost', '/', 'nl')
    expect(unknown.status).toBe(404)
    expect(unknown.text).toContain('<h1>Pagina niet gevonden</h1>')
    const tenant = await gw.createTenant()
    const bad = await page(`${tenant.slug}.localhost`, '/%E0%A4%A', 'de')
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('<h1>Diese Anfrage konnte nicht bearbeitet werden</h1>')
    // The domain's own advice, in English only, follows marked as English.
    expect(bad.text).toContain(
      '<p class="hint" lang="en">The address contains a malformed %-escape.</p>',
    )
  })
})
