import { describe, expect, it } from 'vitest'
import { digestOf } from '../../src/sso/saml-ticket.js'
import { useGateway } from '../support/harness.js'
import { createIdp, MALLORY } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Login CSRF on SAML (OWASP ASVS 5.0 V10; the SAML analogue of RFC 9700 §4.7): an attacker
// starts a sign-in, gets the IdP's signed response for their own account and makes a victim's
// browser post it to our ACS. The ACS checks the response but signs nobody in: it sends the
// browser to a same-site continue step, where the browser must be the one that started the
// sign-in (http/sso-browser.ts cookie, its hash kept with the AuthnRequest).
const gw = useGateway()
const idp = createIdp()
const { started, startSignIn, continued, counts, expectRefused, browser } = samlHelpers(gw, idp)

const sessionCookies = (res: { headers: Record<string, unknown> }) =>
  [res.headers['set-cookie'] ?? []].flat().filter((c) => String(c).startsWith('gw_session='))

describe('SAML sign-in bound to the browser that started it', () => {
  it("refuses the attacker's response posted by the victim's browser (login CSRF, OWASP ASVS 5.0 V10, RFC 9700 §4.7 analogue)", async () => {
    const attacker = await started()
    // The victim holds a binding of its own: it started a sign-in on the store too.
    const victim = await startSignIn(attacker.s)
    expect(victim.b.cookies.header(attacker.s.host)).toMatch(/gw_sso_browser=/)
    const field = idp.response({ ...attacker.reply, ...MALLORY })
    const acs = await victim.post(field) // the auto-submitting form on the attacker's page
    expect(acs.status).toBe(303)
    expect(sessionCookies(acs)).toEqual([])
    await expectRefused(attacker.s, await continued(victim.b, acs), 'browser_mismatch')
    // Refused for good: the attacker cannot use the ticket afterwards either.
    const again = await attacker.b.get(String(acs.headers['location']))
    await expectRefused(attacker.s, again, 'unknown_ticket')
  })

  it('refuses the continue link opened by a browser that holds no binding at all', async () => {
    const attacker = await started()
    const acs = await attacker.post(idp.response({ ...attacker.reply, ...MALLORY }))
    expect(acs.status).toBe(303)
    const victim = browser(attacker.s.host)
    await expectRefused(
      attacker.s,
      await victim.get(String(acs.headers['location'])),
      'browser_mismatch',
    )
  })

  it('signs the person in at the continue step, never at the cross-site ACS POST', async () => {
    const { s, reply, b, post } = await started({ locale: 'en' })
    const acs = await post(idp.response(reply))
    expect(acs.status).toBe(303)
    expect(acs.headers['cache-control']).toBe('no-store')
    const next = new URL(String(acs.headers['location']), 'http://gateway.invalid')
    expect(next.pathname).toBe(`/sso/saml/${s.directory.id}/continue`)
    expect(sessionCookies(acs)).toEqual([])
    expect(await counts(s)).toEqual({ users: 0, sessions: 0 })
    // The ticket is single use and short-lived; only its hash is stored.
    const ticket = next.searchParams.get('ticket')!
    const row = await gw.db
      .selectFrom('sso_requests')
      .select(['created_at', 'expires_at'])
      .where('id', '=', digestOf(ticket))
      .executeTakeFirstOrThrow()
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBeLessThanOrEqual(120_000)

    const done = await continued(b, acs)
    expect(done.status).toBe(303)
    expect(done.headers['location']).toBe('/')
    expect(done.headers['referrer-policy']).toBe('no-referrer')
    expect(sessionCookies(done)).toHaveLength(1)
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
  })

  it('refuses a replayed continue ticket (single use)', async () => {
    const { s, reply, b, post } = await started()
    const acs = await post(idp.response(reply))
    expect((await continued(b, acs)).status).toBe(303)
    const again = await b.get(String(acs.headers['location']))
    await expectRefused(s, again, 'unknown_ticket', { users: 1, sessions: 1 })
  })

  it('refuses a ticket that is not one (unknown or malformed)', async () => {
    const { s, b } = await started()
    const path = `/sso/saml/${s.directory.id}/continue`
    await expectRefused(s, await b.get(`${path}?ticket=${'A'.repeat(43)}`), 'unknown_ticket')
    await expectRefused(s, await b.get(`${path}?ticket=x&ticket=y`), 'unknown_ticket')
    await expectRefused(s, await b.get(path), 'unknown_ticket')
  })

  it('lets an IdP-initiated sign-in continue in any browser: nothing was started to bind it to (hence allowIdpInitiated is off by default)', async () => {
    const { s, reply, post } = await started({ allowIdpInitiated: true })
    const acs = await post(idp.response({ ...reply, inResponseTo: null }))
    expect(acs.status).toBe(303)
    const elsewhere = await continued(browser(s.host), acs)
    expect(elsewhere.status).toBe(303)
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
  })
})
