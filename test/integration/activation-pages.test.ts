import { describe, expect, it } from 'vitest'
import { revokeInvitation } from '../../src/invitations/lifecycle.js'
import { newToken } from '../../src/lib/tokens.js'
import { onPostgres } from '../support/database.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD, DAY, pageHelpers } from '../support/pages.js'

// DESIGN.md "Interfaces users touch" and the seeds: single-use links, per-store password
// policy, Terms document opened before Submit, no user enumeration.
const gw = useGateway()
const { browser, store, invite, activate } = pageHelpers(gw)

describe('activation pages', () => {
  it('sets the password through the form and signs the person in', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'ada@example.com', { firstName: 'Ada' })
    const b = browser(host)
    const form = await b.get(`/invite/${token}`)
    expect(form.status).toBe(200)
    expect(form.text).toMatch(/<input id="email"[^>]*readonly[^>]*value="ada@example.com"/)
    expect(form.text).toContain('data-rule="too_short"')
    expect(form.text).toContain('<script src="/assets/password-policy.js" defer></script>')

    const res = await activate(b, token)
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/')
    expect((await b.get('/')).text).toContain('Signed in as ada@example.com')
    const login = await browser(host).submit('/login', {
      email: 'ada@example.com',
      password: PASSWORD,
    })
    expect(login.status).toBe(303)
  })

  it('refuses a POST without the CSRF field, and the link still works', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'csrf@example.com')
    const b = browser(host)
    await b.get(`/invite/${token}`)
    const forged = await b.post(`/invite/${token}`, {
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(forged.status).toBe(403)
    expect((await activate(b, token)).status).toBe(303)
  })

  it.each([
    ['classes-10', 10],
    ['short-6', 6],
  ])('holds the %s policy at its minimum length of %i', async (policy, min) => {
    const { tenant, host } = await store({ passwordPolicy: policy })
    const { token } = await invite(tenant, 'bob@example.com')
    const b = browser(host)
    const short = await activate(b, token, 'Qv7#mZ9$kw'.slice(0, min - 1))
    expect(short.status).toBe(422)
    expect(short.text).toContain(`Use at least ${min} characters.`)
    const mismatch = await b.submit(`/invite/${token}`, {
      password: PASSWORD,
      password_confirm: 'x',
    })
    expect(mismatch.status).toBe(422)
    expect(mismatch.text).toContain('The two passwords do not match.')
    expect((await activate(b, token, 'Qv7#mZ9$kw'.slice(0, min))).status).toBe(303)
  })

  it('lists every reason a password is refused', async () => {
    const { tenant, host } = await store({ passwordPolicy: 'classes-10' })
    const { token } = await invite(tenant, 'carol@example.com')
    const res = await activate(browser(host), token, 'qvmz')
    expect(res.status).toBe(422)
    for (const reason of [
      'Use at least 10 characters.',
      'Add an uppercase letter.',
      'Add a digit or a symbol.',
    ])
      expect(res.text).toContain(reason)
  })

  it('shows one page for used, revoked, expired, malformed, unknown and foreign links', async () => {
    const { tenant, host } = await store()
    const other = await store()
    const used = await invite(tenant, 'used@example.com')
    await activate(browser(host), used.token)
    const revoked = await invite(tenant, 'revoked@example.com')
    await revokeInvitation(gw.db, tenant, revoked.id)
    const expired = await invite(tenant, 'expired@example.com', {}, new Date(Date.now() - 15 * DAY))
    const foreign = await invite(other.tenant, 'foreign@example.com')

    const tokens = [used.token, revoked.token, expired.token, 'abc', newToken(), foreign.token]
    const pages = await Promise.all(tokens.map((token) => browser(host).get(`/invite/${token}`)))
    for (const res of pages) {
      expect(res.status).toBe(400)
      expect(res.text).toBe(pages[0]?.text)
    }
    expect(pages[0]?.text).toContain(
      'This link is no longer valid, ask your administrator for a new invitation.',
    )
    expect((await browser(other.host).get(`/invite/${foreign.token}`)).status).toBe(200)

    const b = browser(host)
    const replay = await b.post(`/invite/${used.token}`, {
      _csrf: await b.csrf('/login'),
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(replay.status).toBe(400)
    expect(replay.text).toBe(pages[0]?.text)
  })

  it('keeps link pages out of caches and Referer headers', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'headers@example.com')
    for (const path of [`/invite/${token}`, `/invite/${newToken()}`]) {
      const res = await browser(host).get(path)
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      expect(res.headers['cache-control']).toBe('no-store')
    }
  })

  it('escapes names on pages', async () => {
    const { tenant, host } = await store(undefined, 'Acme <b>Store</b>')
    const { token } = await invite(tenant, 'xss@example.com', {
      firstName: '<img src=x onerror=alert(1)>',
    })
    const page = (await browser(host).get(`/invite/${token}`)).text
    expect(page).toContain('Welcome, &lt;img src=x onerror=alert(1)&gt;.')
    expect(page).toContain('Acme &lt;b&gt;Store&lt;/b&gt;')
    expect(page).not.toContain('<img src=x')
    expect(page).not.toContain('<b>Store')
  })

  it('speaks the invitation language, then ?lang= and Accept-Language', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'fr@example.com', { locale: 'fr' })
    const page = await browser(host).get(`/invite/${token}`).set('Accept-Language', 'de')
    expect(page.text).toContain('<html lang="fr">')
    expect(page.text).toContain('Activez votre compte')
    expect(
      (await browser(host).get('/login').set('Accept-Language', 'de-CH, en;q=0.5')).text,
    ).toContain('Anmelden')
    expect((await browser(host).get('/login?lang=nl').set('Accept-Language', 'de')).text).toContain(
      'Inloggen',
    )
  })

  it('offers the matching app on a native store, then the form', async () => {
    const links = {
      iosUrl: 'https://apps.apple.com/app/id1',
      androidUrl: 'https://play.google.com/store/apps/details?id=x',
    }
    const { tenant, host } = await store({ store: { kind: 'native', ...links } })
    const { token } = await invite(tenant, 'native@example.com')
    const iphone = await browser(host)
      .get(`/invite/${token}`)
      .set('User-Agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)')
    expect(iphone.text).toContain(links.iosUrl)
    expect(iphone.text).not.toContain('play.google.com')
    const android = await browser(host)
      .get(`/invite/${token}`)
      .set('User-Agent', 'Mozilla/5.0 (Linux; Android 14)')
    expect(android.text).toContain('play.google.com')
    expect(android.text).not.toContain(links.iosUrl)
    const desktop = await browser(host)
      .get(`/invite/${token}`)
      .set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64)')
    expect(desktop.text).toContain(links.iosUrl)
    expect(desktop.text).toContain('play.google.com')
    expect(desktop.text).toContain(`href="/invite/${token}?continue=1"`)
    expect((await browser(host).get(`/invite/${token}?continue=1`)).text).toContain(
      'id="password-confirm"',
    )
  })
})

describe.skipIf(!onPostgres())('activation under concurrency', () => {
  it('lets exactly one of 20 simultaneous activations through', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'race@example.com')
    const b = browser(host)
    const csrf = await b.csrf(`/invite/${token}`)
    const fields = { _csrf: csrf, password: PASSWORD, password_confirm: PASSWORD }
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => b.post(`/invite/${token}`, fields).then((r) => r.status)),
    )
    expect(statuses.filter((s) => s === 303)).toHaveLength(1)
    expect(statuses.filter((s) => s === 400)).toHaveLength(19)
  })
})
