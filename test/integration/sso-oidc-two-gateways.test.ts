import { describe, expect, it } from 'vitest'
import { onPostgres } from '../support/database.js'
import { atCallback, connectOidc, ssoBrowser, useCompanyIdp } from '../support/oidc-idp.js'
import { pageHelpers } from '../support/pages.js'
import { useTwoGateways } from '../support/two-gateways.js'

// Issue 10, "the login started on one gateway process and finished on another": the sign-in in
// flight lives in the database (sso_requests), not in the process that sent the person to the
// IdP. On PostgreSQL the two are real `gateway serve` processes (nothing in memory shared); on
// PGlite (one process per database) two apps built apart in this process.

/** Which gateway the public port sends the next requests to. */
let turn = 0
const { gw } = await useTwoGateways(() => turn)
const idp = useCompanyIdp()
const { store } = pageHelpers(gw)

describe(`an OIDC sign-in across two gateways (${onPostgres() ? 'processes' : 'apps'})`, () => {
  it('starts on one gateway and finishes on the other; the session holds on both', async () => {
    const { tenant } = await store()
    idp.users.set('grace', {
      password: 'grace-at-corp',
      email: 'grace@corp.example',
      given_name: 'Grace',
    })
    const { directoryId } = await connectOidc(gw, tenant, idp)
    const browser = ssoBrowser()

    turn = 0
    const start = new URL(`/sso/${directoryId}/start?return_to=/`, tenant.publicUrl)
    const form = await browser.follow(start)
    expect(form.url.origin).toBe(idp.issuer)
    const back = await browser.signInAtIdp(form, 'grace', 'grace-at-corp', atCallback)

    turn = 1
    const answer = await browser.request(back.next!)
    expect(answer.res.status).toBe(303)
    expect(answer.res.headers.get('location')).toBe('/')

    for (turn of [0, 1]) {
      const home = await browser.request(new URL('/', tenant.publicUrl))
      expect(await home.res.text(), `gateway ${turn}`).toContain('grace@corp.example')
    }
  })
})
