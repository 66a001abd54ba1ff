import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { createHasher } from '../../src/identity/hashing.js'
import { onPostgres } from '../support/database.js'
import { memoryLog, useGateway } from '../support/harness.js'
import { createIdp } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Issue 10: "InResponseTo = a request we issued (stored in the database, single use, so the
// login may start on one gateway process and finish on another)"; assertion IDs refuse replays.
// Races prove something only on PostgreSQL (SECURITY-NOTES.md: PGlite serialises everything).
const gw = useGateway()
const idp = createIdp()
const { samlStore, startSignIn, counts, browser } = samlHelpers(gw, idp)
const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort()

describe('a SAML sign-in across gateway apps', () => {
  it('starts on one gateway app and finishes on another built from the same database', async () => {
    const other = createApp({
      config: gw.config,
      db: gw.db,
      log: memoryLog().log,
      readiness: { migrated: true },
      hasher: createHasher(),
    })
    const s = await samlStore()
    const { reply, b } = await startSignIn(s) // on gw.app
    const there = browser(s.host, other)
    const res = await there.post(s.acsPath, { SAMLResponse: idp.response(reply) })
    expect(res.status).toBe(303)
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
    // The session it started is good on the first app too.
    const home = await b.get('/').set('Cookie', [res.headers['set-cookie']].flat().join('; '))
    expect(home.text).toContain('ada@corp.example')
  })
})

describe.skipIf(!onPostgres())('SAML single use under concurrency (PostgreSQL)', () => {
  it('signs in exactly once when one response is posted five times at once (SAML profiles 2.0 §4.1.4.5)', async () => {
    const s = await samlStore()
    const { reply } = await startSignIn(s)
    const field = idp.response(reply)
    const posts = Array.from({ length: 5 }, () =>
      browser(s.host).post(s.acsPath, { SAMLResponse: field }),
    )
    expect(statuses(await Promise.all(posts))).toEqual([303, 400, 400, 400, 400])
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
  })

  it('lets one IdP-initiated assertion in once when posted five times at once', async () => {
    const s = await samlStore({ allowIdpInitiated: true })
    const { reply } = await startSignIn(s)
    const field = idp.response({ ...reply, inResponseTo: null })
    const posts = Array.from({ length: 5 }, () =>
      browser(s.host).post(s.acsPath, { SAMLResponse: field }),
    )
    expect(statuses(await Promise.all(posts))).toEqual([303, 400, 400, 400, 400])
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
  })
})
