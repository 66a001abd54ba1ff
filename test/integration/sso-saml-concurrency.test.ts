import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { createHasher } from '../../src/identity/hashing.js'
import { onPostgres } from '../support/database.js'
import { memoryLog, useGateway } from '../support/harness.js'
import { createIdp } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Issue 10: "InResponseTo = a request we issued (stored in the database, single use, so the
// login may start on one gateway process and finish on another)"; assertion IDs refuse replays,
// and the ticket of the ACS's continue step is single use too.
// Races prove something only on PostgreSQL (SECURITY-NOTES.md: PGlite serialises everything).
const gw = useGateway()
const idp = createIdp()
const { samlStore, startSignIn, continued, counts, browser } = samlHelpers(gw, idp)
const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort()
const fiveTimes = <T>(send: () => Promise<T>) => Promise.all(Array.from({ length: 5 }, send))

describe('a SAML sign-in across gateway apps', () => {
  it('starts on one gateway app, is posted to another built from the same database, and continues on the first', async () => {
    const other = createApp({
      config: gw.config,
      db: gw.db,
      log: memoryLog().log,
      readiness: { migrated: true },
      hasher: createHasher(),
    })
    const s = await samlStore()
    const { reply, b } = await startSignIn(s) // on gw.app
    // The IdP's cross-site POST reaches the other process, with none of the browser's cookies.
    const acs = await browser(s.host, other).post(s.acsPath, { SAMLResponse: idp.response(reply) })
    expect(acs.status).toBe(303)
    const res = await continued(b, acs) // back on gw.app, in the browser that started
    expect(res.status).toBe(303)
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
    const home = await b.get('/')
    expect(home.text).toContain('ada@corp.example')
  })
})

describe.skipIf(!onPostgres())('SAML single use under concurrency (PostgreSQL)', () => {
  /** One response posted five times at once: one passes the ACS, and signs in once. */
  async function postedFiveTimes(idpInitiated: boolean) {
    const s = await samlStore({ allowIdpInitiated: idpInitiated })
    const { reply, b } = await startSignIn(s)
    const field = idp.response(idpInitiated ? { ...reply, inResponseTo: null } : reply)
    const posts = await fiveTimes(() => browser(s.host).post(s.acsPath, { SAMLResponse: field }))
    expect(statuses(posts)).toEqual([303, 400, 400, 400, 400])
    const passed = posts.find((r) => r.status === 303)!
    expect((await continued(b, passed)).status).toBe(303)
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
  }

  it('signs in exactly once when one response is posted five times at once (SAML profiles 2.0 §4.1.4.5)', () =>
    postedFiveTimes(false))

  it('lets one IdP-initiated assertion in once when posted five times at once', () =>
    postedFiveTimes(true))

  it('signs in once when one continue ticket is opened five times at once (OWASP ASVS 5.0 V10)', async () => {
    const s = await samlStore()
    const { reply, b, post } = await startSignIn(s)
    const acs = await post(idp.response(reply))
    expect(acs.status).toBe(303)
    const next = String(acs.headers['location'])
    const opened = await fiveTimes(() => b.get(next))
    expect(statuses(opened)).toEqual([303, 400, 400, 400, 400])
    expect(await counts(s)).toEqual({ users: 1, sessions: 1 })
  })
})
