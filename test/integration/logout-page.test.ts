import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { PASSWORD, cookieOf, formToken, pageHelpers } from '../support/pages.js'

// Issue 11: "GET /logout shows a sign-out confirmation instead of 404". A GET never signs out:
// the page's form does, with its CSRF field (http/csrf.ts).
const gw = useGateway()
const { browser, member } = pageHelpers(gw)

describe('GET /logout', () => {
  it('asks to confirm, and its form signs the person out', async () => {
    const { host, tenant } = await member('ada@example.com')
    const b = browser(host)
    await b.submit('/login', { email: 'ada@example.com', password: PASSWORD })
    const ask = await b.get('/logout')
    expect(ask.status).toBe(200)
    expect(ask.headers['cache-control']).toBe('no-store')
    expect(ask.text).toContain(`<h1>Sign out of ${tenant.name}?</h1>`)
    expect(ask.text).toMatch(/<form method="post" action="\/logout">/)
    expect((await b.get('/')).text).toContain('Signed in as ada@example.com') // still signed in
    const out = await b.post('/logout', { _csrf: formToken(ask.text) ?? '' })
    expect(out.status).toBe(200)
    expect(cookieOf(out, 'gw_session')).toMatch(/Max-Age=0/)
    expect((await b.get('/')).text).toContain('href="/login"')
  })

  it('tells someone not signed in that they are signed out, in their language', async () => {
    const { host } = await member('bob@example.com')
    const res = await browser(host).get('/logout?lang=fr')
    expect(res.status).toBe(200)
    expect(res.text).toContain('Vous êtes déconnecté.')
    expect(res.text).toContain('href="/login"')
  })
})
