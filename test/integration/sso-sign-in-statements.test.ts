import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { countStatements } from '../support/statement-count.js'
import { createIdp } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Issue 10 (bench/sso.ts): every PostgreSQL round trip of a sign-in is paid by each of them, and
// on a busy gateway the round trips are what the sign-in rate loses most to after node-saml. A
// repeat SAML sign-in (a known person, an active member, nothing to change) sends at most this
// many statements over its two requests (ACS POST, continue GET), BEGIN and COMMIT included:
// per request the tenant and the directory (caches off in tests: tenantCacheTtlMs 0), then the
// ACS's one statement (request spent, assertion recorded, ticket kept), and at continue the
// ticket spent, the member read (with the Terms owed), the audit event (issue 11) and the
// session written. It was 17.
const MAX_STATEMENTS = 9

const gw = useGateway()
const idp = createIdp()
const { samlStore, startSignIn } = samlHelpers(gw, idp)

const statementsOf = countStatements(gw)

describe('a repeat SAML sign-in', () => {
  it(`sends at most ${MAX_STATEMENTS} statements to the database`, async () => {
    const s = await samlStore()
    const first = await startSignIn(s)
    expect((await first.finish(idp.response(first.reply))).status).toBe(303)

    const again = await startSignIn(s)
    const SAMLResponse = idp.response(again.reply)
    let status = 0
    let cookies: string[] = []
    const sent = await statementsOf(async () => {
      const res = await again.finish(SAMLResponse)
      status = res.status
      cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
    })

    expect(status).toBe(303)
    expect(cookies.some((c) => /^gw_session=[^;]+/.test(c))).toBe(true)
    expect(sent.length, sent.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS)
  })
})
