import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/tokens/apps.js'
import { tenantWithKey } from '../support/admin-api.js'
import { useGateway } from '../support/harness.js'
import { inviteMembers } from '../support/invite.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 11: "after activating, the person lands on a page that says only 'Signed in as': make it
// the store's home, with the apps they may open (an app's launch URL from its registration)
// and, for native stores, the install buttons".
const gw = useGateway()
const { browser, store, invite, activate, lastLink } = pageHelpers(gw)

const web = (name: string, extra: object = {}) => ({
  name,
  type: 'web' as const,
  redirectUris: ['https://app.example.com/cb'],
  ...extra,
})

describe("the store's home after activation", () => {
  it('lands on the home with the apps a member may open, each at its launch URL', async () => {
    const { tenant, host } = await store()
    await createApp(gw.db, tenant.id, web('Training', { launchUrl: 'https://train.example.com/' }))
    await createApp(gw.db, tenant.id, web('Hidden')) // no launch URL: not listed
    const { token } = await invite(tenant, 'ada@example.com', { firstName: 'Ada' })
    const b = browser(host)
    const done = await activate(b, token)
    expect(done.headers.location).toBe('/')
    const home = await b.get('/')
    expect(home.status).toBe(200)
    expect(home.text).toContain('<h1>Welcome, Ada.</h1>')
    expect(home.text).toContain('<a class="button" href="https://train.example.com/">Training</a>')
    expect(home.text).not.toContain('Hidden')
    expect(home.text).toContain('action="/logout"')
    expect(home.text).not.toContain('App Store') // a web store: no install buttons
  })

  it('shows a guest only the apps of its granted products, and a native store its install buttons', async () => {
    const { tenant, host } = await store({
      store: {
        kind: 'native',
        iosUrl: 'https://apps.apple.com/app/id1',
        androidUrl: 'https://play.google.com/store/apps/details?id=x',
      },
    })
    const shop = web('Shop', { product: 'shop', launchUrl: 'https://shop.example.com/' })
    await createApp(gw.db, tenant.id, shop)
    await createApp(
      gw.db,
      tenant.id,
      web('Admin', { product: 'admin', launchUrl: 'https://admin.example.com/' }),
    )
    const grant = { invitees: [{ email: 'guest@example.com' }], kind: 'guest', products: ['shop'] }
    await inviteMembers(gw.db, tenant, grant, { secretKey: gw.config.secretKey })
    const b = browser(host)
    const token = await lastLink(tenant, 'guest@example.com', '/invite/')
    const fields = { password: PASSWORD, password_confirm: PASSWORD }
    // A native store's link opens on its install page; the form is one step further.
    const form = `/invite/${token}?continue=1`
    expect((await b.submit(`/invite/${token}`, fields, form)).status).toBe(303)
    const home = await b.get('/')
    expect(home.text).toContain('https://shop.example.com/')
    expect(home.text).not.toContain('https://admin.example.com/')
    expect(home.text).toContain('href="https://apps.apple.com/app/id1"')
    expect(home.text).toContain('href="https://play.google.com/store/apps/details?id=x"')
  })

  it('takes the launch URL through the admin API, refusing schemes that would run in the page', async () => {
    const { api } = await tenantWithKey(gw)
    const created = await api('post', '/apps').send(
      web('Web', { launchUrl: 'https://w.example.com/' }),
    )
    expect(created.status).toBe(201)
    expect(created.body.launchUrl).toBe('https://w.example.com/')
    for (const launchUrl of ['javascript:alert(1)', 'data:text/html,x', 'http://w.example.com/'])
      expect((await api('post', '/apps').send(web('Bad', { launchUrl }))).status).toBe(400)
    const id = created.body.clientId
    const patched = await api('patch', `/apps/${id}`).send({ launchUrl: 'com.example.app:/open' })
    expect(patched.body.launchUrl).toBe('com.example.app:/open')
    expect((await api('patch', `/apps/${id}`).send({ launchUrl: null })).body.launchUrl).toBeNull()
  })
})
