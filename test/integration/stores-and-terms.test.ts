import { describe, expect, it } from 'vitest'
import { publishTerms } from '../../src/identity/terms.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// DESIGN.md "Interfaces users touch" and the seeds: single-use links, per-store password
// policy, Terms document opened before Submit, no user enumeration.
const gw = useGateway()
const { browser, store, invite, activate, member } = pageHelpers(gw)

describe('a customer with several stores', () => {
  it('asks an existing user to log in, and the same password works on the second store', async () => {
    const a = await member('joy@example.com')
    const b = await store(undefined, undefined, a.tenant.slug)
    const { token } = await invite(b.tenant, 'joy@example.com')
    const page = browser(b.host)
    const form = await page.get(`/invite/${token}`)
    expect(form.text).toContain(
      'You already have an account with this company: log in with your password.',
    )
    expect(form.text).not.toContain('password-confirm')
    const wrong = await page.submit(`/invite/${token}`, { password: 'not the password 1' })
    expect(wrong.status).toBe(401)
    expect((await page.submit(`/invite/${token}`, { password: PASSWORD })).status).toBe(303)
    expect(
      (await browser(b.host).submit('/login', { email: 'joy@example.com', password: PASSWORD }))
        .status,
    ).toBe(303)
  })

  it('makes a stricter store ask for a new password before anything else', async () => {
    const a = await store({ passwordPolicy: 'classes-10' })
    const b = await store({ termsRequired: true }, undefined, a.tenant.slug) // nist: at least 15 characters
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, b.tenant.id, { title: 'Terms', text: 'Be nice.' }))
    const { token } = await invite(a.tenant, 'kim@example.com')
    await activate(browser(a.host), token, 'Qv7#mZ9$kw')
    const second = await invite(b.tenant, 'kim@example.com')

    // The second store's link asks for the existing password, then for a stronger one.
    const s = browser(b.host)
    const accepted = await s.submit(`/invite/${second.token}`, { password: 'Qv7#mZ9$kw' })
    expect(accepted.headers.location).toBe('/password/change')
    const login = await browser(b.host).submit('/login', {
      email: 'kim@example.com',
      password: 'Qv7#mZ9$kw',
    })
    expect(login.headers.location).toBe('/password/change')
    for (const path of ['/', '/terms', '/login'])
      expect((await s.get(path)).headers.location).toBe('/password/change')
    const weak = await s.submit('/password/change', {
      password: 'Qv7#mZ9$kwx',
      password_confirm: 'Qv7#mZ9$kwx',
    })
    expect(weak.status).toBe(422)
    expect(weak.text).toContain('Use at least 15 characters.')
    const strong = await s.submit('/password/change', {
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(strong.headers.location).toBe('/terms')
  })
})

describe('Terms of Service', () => {
  it('come before the store, and a document must be opened before Submit', async () => {
    const { tenant, host } = await store({ termsRequired: true })
    const documentUrl = 'https://docs.example.com/terms.pdf'
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, tenant.id, { title: 'Store terms', documentUrl }))
    const { token } = await invite(tenant, 'lea@example.com')
    const b = browser(host)
    expect((await activate(b, token)).headers.location).toBe('/terms')
    expect((await b.get('/')).headers.location).toBe('/terms')

    const terms = await b.get('/terms')
    expect(terms.text).toContain('href="/terms/document?v=1"')
    expect(terms.text).toMatch(/<button id="terms-submit" type="submit" disabled/)
    const early = await b.submit('/terms', { version: '1', accept: 'yes' })
    expect(early.status).toBe(422)
    expect(early.text).toContain('Open the Terms of Service document before you accept it.')
    const forged = await b
      .post('/terms', { _csrf: await b.csrf('/terms'), version: '1', accept: 'yes' })
      .set('Cookie', 'terms_opened=1.forged')
    expect(forged.status).toBe(422)

    const opened = await b.get('/terms/document?v=1')
    expect(opened.status).toBe(303)
    expect(opened.headers.location).toBe(documentUrl)
    expect((await b.get('/terms')).text).not.toMatch(
      /<button id="terms-submit" type="submit" disabled/,
    )
    expect((await b.submit('/terms', { version: '1' })).text).toContain(
      'Tick the box to accept the Terms of Service.',
    )
    const accepted = await b.submit('/terms', { version: '1', accept: 'yes' })
    expect(accepted.headers.location).toBe('/')
    expect((await b.get('/')).text).toContain('Signed in as lea@example.com')
  })

  it('show a text version escaped, in paragraphs', async () => {
    const { tenant, host } = await store({ termsRequired: true })
    const text = 'First <script>alert(1)</script>\n\nSecond'
    await gw.db.transaction().execute((tx) => publishTerms(tx, tenant.id, { title: 'T & C', text }))
    const { token } = await invite(tenant, 'max@example.com')
    const b = browser(host)
    await activate(b, token)
    const page = (await b.get('/terms')).text
    expect(page).toContain('<p>First &lt;script&gt;alert(1)&lt;/script&gt;</p>')
    expect(page).toContain('<p>Second</p>')
    expect((await b.submit('/terms', { version: '1', accept: 'yes' })).headers.location).toBe('/')
  })
})
