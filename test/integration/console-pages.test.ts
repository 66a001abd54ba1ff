import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { consoleHelpers } from '../support/console.js'

// Issue 11, "Admin sign-in through the gateway itself": /admin on the store's own host.
const gw = useGateway()
const h = consoleHelpers(gw)

describe('the console pages', () => {
  it('sends a signed-out visitor to the store sign-in, which brings them back to /admin', async () => {
    const { host } = await h.store()
    const res = await h.browser(host).get('/admin')
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/login?return_to=%2Fadmin')
    const section = await h.browser(host).get('/admin/users')
    expect(section.headers.location).toBe('/login?return_to=%2Fadmin%2Fusers')
  })

  it('signs an admin in with the password form and shows the console shell', async () => {
    const { tenant, host } = await h.store()
    await h.signedIn(tenant, host, 'boss@example.com')
    const b = h.browser(host)
    const login = await b.submit(
      '/login?return_to=/admin',
      {
        email: 'boss@example.com',
        password: 'violet anchor harbor 93',
        return_to: '/admin',
      },
      '/login?return_to=/admin',
    )
    expect(login.status).toBe(303)
    expect(login.headers.location).toBe('/admin')
    expect((await b.get('/admin')).headers.location).toBe('/admin/users')
    const page = await b.get('/admin/users')
    expect(page.status).toBe(200)
    expect(page.text).toContain('<meta name="csrf-token" content="')
    expect(page.text).toContain('<script src="/assets/console.js" defer></script>')
    for (const label of [
      'Users',
      'Invitations',
      'Guests',
      'Groups',
      'Apps',
      'Email templates',
      'Terms',
      'Settings',
      'Audit log',
    ])
      expect(page.text).toContain(`>${label}</a>`)
    expect(page.text).toContain('<a href="/admin/members" aria-current="page">Users</a>')
    expect(page.text).toContain(
      `data-page="invitations" data-api="/admin/api/v1/tenants/${tenant.slug}"`,
    )
    expect(page.text).toContain('boss@example.com')
    // A store's admin is no platform admin: no tenant list.
    expect(page.text).not.toContain('/admin/tenants')
    expect((await b.get('/admin/tenants')).status).toBe(404)
    expect((await b.get('/admin/nothing-here')).status).toBe(404)
  })

  it("speaks the admin's language", async () => {
    const { tenant, host } = await h.store()
    const b = await h.signedIn(tenant, host, 'chef@example.com')
    const page = await b.get('/admin/users?lang=fr')
    expect(page.text).toContain('<html lang="fr">')
    expect(page.text).toContain('Console d’administration')
    expect(page.text).toContain('>Invités</a>')
  })

  it("renders every built page in the four languages, the script's words in a JSON data block", async () => {
    const { tenant, host } = await h.store()
    const b = await h.signedIn(tenant, host, 'polyglot@example.com')
    const expected = {
      users: ['Invite people', 'Inviter des personnes', 'Mensen uitnodigen', 'Personen einladen'],
      apps: [
        'Register an app',
        'Enregistrer une application',
        'Een app registreren',
        'Eine App registrieren',
      ],
      templates: ['HTML version', 'Version HTML', 'HTML-versie', 'HTML-Version'],
      terms: [
        'Publish a new version',
        'Publier une nouvelle version',
        'Een nieuwe versie publiceren',
        'Neue Version veröffentlichen',
      ],
      settings: [
        'Invitation lifetime',
        'Durée de validité d’une invitation',
        'Geldigheid van een uitnodiging',
        'Gültigkeit einer Einladung',
      ],
      audit: [
        'About (email address or id)',
        'Concerne (adresse e-mail ou identifiant)',
        'Over (e-mailadres of ID)',
        'Betrifft (E-Mail-Adresse oder ID)',
      ],
    }
    for (const [section, words] of Object.entries(expected))
      for (const [i, lang] of ['en', 'fr', 'nl', 'de'].entries()) {
        const page = await b.get(`/admin/${section}?lang=${lang}`)
        expect(page.status).toBe(200)
        expect(page.text).toContain(words[i])
        expect(page.text).toContain(`data-api="/admin/api/v1/tenants/${tenant.slug}"`)
        const json =
          /<script type="application\/json" id="console-messages">([^<]*)<\/script>/.exec(
            page.text,
          )?.[1]
        const messages = JSON.parse(json ?? 'null') as Record<string, string>
        // Slots stay for the script to fill.
        expect(messages.cpConfirmRevoke).toContain('{email}')
        if (lang === 'fr') expect(messages.cpRevoke).toBe('Révoquer')
      }
  })

  it('answers a signed-in member who is not an admin with a friendly 403 page', async () => {
    const { tenant, host } = await h.store()
    const b = await h.signedIn(tenant, host, 'ada@example.com', 'user')
    const page = await b.get('/admin/users')
    expect(page.status).toBe(403)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.text).toContain('Not allowed')
    expect(page.text).toContain(
      `This console is for the administrators of ${tenant.name}. You are signed in as ada@example.com.`,
    )
    expect(page.text).not.toContain('csrf-token')
    expect(page.text).toContain('action="/logout"')
  })

  it('refuses to be framed (X-Frame-Options DENY, CSP frame-ancestors none)', async () => {
    const { tenant, host } = await h.store()
    const b = await h.signedIn(tenant, host, 'frame@example.com')
    for (const path of ['/admin', '/admin/users']) {
      const res = await b.get(path)
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(res.headers['cache-control']).toBe('no-store')
    }
  })
})
