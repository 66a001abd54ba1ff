import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// DESIGN.md "Interfaces users touch" and the seeds: single-use links, per-store password
// policy, Terms document opened before Submit, no user enumeration.
const gw = useGateway()
const { browser, lastLink, member } = pageHelpers(gw)

describe('password reset', () => {
  it('answers alike for known and unknown emails, and the link works once', async () => {
    const { tenant, host } = await member('ned@example.com')
    const signedIn = browser(host)
    await signedIn.submit('/login', { email: 'ned@example.com', password: PASSWORD })
    const known = await browser(host).submit('/forgot-password', { email: 'ned@example.com' })
    const unknown = await browser(host).submit('/forgot-password', { email: 'nobody@example.com' })
    expect([known.status, unknown.status]).toEqual([200, 200])
    expect(known.text).toContain('If an account exists for this address, we sent a link')
    expect(unknown.text).toBe(known.text)
    const first = await lastLink(tenant, 'ned@example.com', '/reset-password/')
    await browser(host).submit('/forgot-password', { email: 'ned@example.com' })
    const token = await lastLink(tenant, 'ned@example.com', '/reset-password/')
    expect((await browser(host).get(`/reset-password/${first}`)).status).toBe(400) // replaced

    const b = browser(host)
    const form = await b.get(`/reset-password/${token}`)
    expect(form.status).toBe(200)
    expect(form.headers['referrer-policy']).toBe('no-referrer')
    expect(form.headers['cache-control']).toBe('no-store')
    expect(
      (await b.submit(`/reset-password/${token}`, { password: 'short', password_confirm: 'short' }))
        .status,
    ).toBe(422)
    const newPassword = 'a brand new passphrase 7'
    const done = await b.submit(`/reset-password/${token}`, {
      password: newPassword,
      password_confirm: newPassword,
    })
    expect(done.headers.location).toBe('/login?reset=1')
    const again = await b.post(`/reset-password/${token}`, {
      _csrf: await b.csrf('/login'),
      password: newPassword,
      password_confirm: newPassword,
    })
    expect(again.status).toBe(400)
    expect(again.text).toContain('This password reset link is no longer valid.')

    expect((await signedIn.get('/')).text).not.toContain('Signed in as') // sessions ended
    const login = (password: string) =>
      browser(host).submit('/login', { email: 'ned@example.com', password })
    expect((await login(PASSWORD)).status).toBe(401)
    expect((await login(newPassword)).status).toBe(303)
  })
})
