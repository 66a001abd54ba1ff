import { describe, expect, it } from 'vitest'
import { onPostgres } from '../support/database.js'
import { useGateway } from '../support/harness.js'
import { createIdp } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Issue 10: the InResponseTo is single use. The ACS spends the AuthnRequest by turning its row
// into the continue ticket in place (src/sso/requests.store.ts, redeemSsoRequest): of several
// responses to one request, each with an assertion of its own (so the replay store cannot be
// what refuses them), exactly one may pass, however they race.
// Races prove something only on PostgreSQL (SECURITY-NOTES.md: PGlite serialises everything).
const gw = useGateway()
const idp = createIdp()
const { samlStore, startSignIn, continued, counts, browser, refusals } = samlHelpers(gw, idp)

describe.skipIf(!onPostgres())('one AuthnRequest, five assertions at once (PostgreSQL)', () => {
  it('lets exactly one through the ACS and signs in once (SAML profiles 2.0 §4.1.4.3)', async () => {
    const s = await samlStore()
    const { reply, b } = await startSignIn(s)
    const fields = Array.from({ length: 5 }, () => idp.response(reply))
    const posts = await Promise.all(
      fields.map((SAMLResponse) => browser(s.host).post(s.acsPath, { SAMLResponse })),
    )
    expect(posts.map((r) => r.status).sort()).toEqual([303, 400, 400, 400, 400])
    expect(refusals(s).map((l) => l['reason'])).toEqual(Array(4).fill('unknown_request'))
    const passed = posts.find((r) => r.status === 303)!
    expect((await continued(b, passed)).status).toBe(303)
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
  })
})
