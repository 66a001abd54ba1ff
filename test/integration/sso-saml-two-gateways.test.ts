import { describe, expect, it } from 'vitest'
import { onPostgres } from '../support/database.js'
import { ssoBrowser } from '../support/oidc-idp.js'
import { createIdp, PERSON } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'
import { useTwoGateways } from '../support/two-gateways.js'

// Issue 10, "the login started on one gateway process and finished on another": the AuthnRequest
// in flight and the verified outcome waiting for its continue step live in the database
// (sso_requests), not in a process. On PostgreSQL the two are real `gateway serve` processes;
// on PGlite (one process per database) two apps built apart in this process.

/** Which gateway the public port sends the next requests to. */
let turn = 0
const { gw, hops } = await useTwoGateways(() => turn)
const idp = createIdp()
const { samlStore } = samlHelpers(gw, idp)

describe(`a SAML sign-in across two gateways (${onPostgres() ? 'processes' : 'apps'})`, () => {
  it('starts on one gateway, is posted to the ACS of the other, continues on the first; the session holds on both', async () => {
    const s = await samlStore()
    const origin = s.tenant.publicUrl
    const browser = ssoBrowser()
    const base = `/sso/saml/${s.directory.id}`

    turn = 0
    const metadata = await browser.request(new URL(`${base}/metadata`, origin))
    const started = await browser.request(
      new URL(`/sso/${s.directory.id}/start?return_to=/`, origin),
    )
    expect(started.res.status).toBe(303)
    const request = idp.readRequest(started.res.headers.get('location')!, await metadata.res.text())
    const reply = {
      ...PERSON,
      inResponseTo: request.id,
      acsUrl: request.acsUrl,
      audience: request.issuer,
    }

    turn = 1
    const acs = await browser.request(new URL(request.acsUrl), {
      SAMLResponse: idp.response(reply),
    })
    expect(acs.res.status).toBe(303)
    const next = new URL(acs.res.headers.get('location')!, origin)
    expect(next.pathname).toBe(`${base}/continue`)

    turn = 0
    const done = await browser.request(next)
    expect(done.res.status).toBe(303)
    expect(done.res.headers.get('location')).toBe('/')

    for (turn of [0, 1]) {
      const home = await browser.request(new URL('/', origin))
      expect(await home.res.text(), `gateway ${turn}`).toContain(PERSON.attributes.email)
    }
    const by = (path: string) => hops.filter((h) => h.path === path).map((h) => h.backend)
    expect(by(`/sso/${s.directory.id}/start`)).toEqual([0])
    expect(by(`${base}/acs`)).toEqual([1])
    expect(by(`${base}/continue`)).toEqual([0])
  })
})
