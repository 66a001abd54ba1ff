import { sql } from 'kysely'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { createHasher } from '../../src/identity/hashing.js'
import { memoryLog, useGateway } from '../support/harness.js'
import { PASSWORD, cookieOf, pageHelpers } from '../support/pages.js'

// DESIGN.md "Interfaces users touch" and the seeds: single-use links, per-store password
// policy, Terms document opened before Submit, no user enumeration.
const gw = useGateway()
const { browser, member } = pageHelpers(gw)

describe('login', () => {
  it('answers a wrong password and an unknown email alike', async () => {
    const { host } = await member('dan@example.com')
    const b = browser(host)
    const ok = await browser(host).submit('/login', {
      email: 'dan@example.com',
      password: PASSWORD,
    })
    expect(ok.status).toBe(303)
    expect(ok.headers.location).toBe('/')
    const wrong = await b.submit('/login', {
      email: 'dan@example.com',
      password: 'not the password 1',
    })
    const unknown = await b.submit('/login', {
      email: 'nobody@example.com',
      password: 'not the password 1',
    })
    expect([wrong.status, unknown.status]).toEqual([401, 401])
    expect(wrong.text).toContain('The email or password is incorrect.')
    expect(wrong.text).toContain('value="dan@example.com"')
    expect(unknown.text.replace('nobody@example.com', 'x')).toBe(
      wrong.text.replace('dan@example.com', 'x'),
    )
  })

  it('slows brute force per account, known or not, with Retry-After', async () => {
    const { host } = await member('eve@example.com')
    const b = browser(host)
    for (const email of ['eve@example.com', 'ghost@example.com']) {
      const statuses: number[] = []
      for (let i = 0; i < 11; i++)
        statuses.push((await b.submit('/login', { email, password: `guess number ${i}` })).status)
      expect(statuses).toEqual([...Array(10).fill(401), 429])
    }
    const blocked = await b.submit('/login', { email: 'eve@example.com', password: PASSWORD })
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    expect(blocked.text).toContain('Too many attempts.')
  })

  it('backs off further: past 50 failures in a day the account waits out the day', async () => {
    const { tenant, host } = await member('dee@example.com')
    // Ten failures would trip the 15-minute step first: stand the daily counter at its limit.
    await sql`insert into rate_limits (key, points, expires_at)
      values (${`login-account-day:${tenant.databaseDirectoryId}:dee@example.com`}, 50, now() + interval '20 hours')`.execute(
      gw.db,
    )
    const res = await browser(host).submit('/login', {
      email: 'dee@example.com',
      password: PASSWORD,
    })
    expect(res.status).toBe(429)
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(19 * 3600)
  })

  it('slows brute force per address across accounts, yet lets many good logins through', async () => {
    const { host } = await member('ivy@example.com')
    const b = browser(host)
    // Failures only count: an office behind one address signs in as often as it needs.
    for (let i = 0; i < 35; i++) {
      const ok = await b.submit('/login', { email: 'ivy@example.com', password: PASSWORD })
      expect(ok.status).toBe(303)
    }
    const statuses: number[] = []
    for (let i = 0; i < 31; i++) {
      const email = `spray${i}@example.com` // one guess per account: only the IP limit sees it
      statuses.push((await b.submit('/login', { email, password: 'Winter2026!' })).status)
    }
    expect(statuses).toEqual([...Array(30).fill(401), 429])
  })

  it('sends only same-origin paths back after login', async () => {
    const { host } = await member('fay@example.com')
    const cases = [
      ['/apps?x=1', '/apps?x=1'],
      ['//evil.example/x', '/'],
      ['https://evil.example', '/'],
      ['/\\evil.example', '/'],
    ]
    for (const [returnTo, location] of cases) {
      const res = await browser(host).submit('/login', {
        email: 'fay@example.com',
        password: PASSWORD,
        return_to: returnTo!,
      })
      expect(res.headers.location).toBe(location)
    }
  })

  it('sets an HttpOnly, SameSite=Lax session cookie, not Secure on http, new at each login', async () => {
    const { host } = await member('gus@example.com')
    const b = browser(host)
    const creds = { email: 'gus@example.com', password: PASSWORD }
    const first = cookieOf(await b.submit('/login', creds), 'gw_session') ?? ''
    expect(first).toMatch(
      /^gw_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    )
    const second = cookieOf(await b.submit('/login', creds), 'gw_session') ?? ''
    expect(second.split(';')[0]).not.toBe(first.split(';')[0])
    const home = (cookie: string) =>
      supertest(gw.app).get('/').set('Host', host).set('Cookie', cookie.split(';')[0]!)
    expect((await home(first)).text).not.toContain('Signed in as') // the old session was ended
    expect((await home(second)).text).toContain('Signed in as gus@example.com')
  })

  it('signs out with a CSRF-protected POST', async () => {
    const { host } = await member('hal@example.com')
    const b = browser(host)
    await b.submit('/login', { email: 'hal@example.com', password: PASSWORD })
    expect((await b.post('/logout', {})).status).toBe(403)
    const out = await b.submit('/logout', {}, '/')
    expect(out.status).toBe(200)
    expect(out.text).toContain('You are signed out.')
    expect(cookieOf(out, 'gw_session')).toMatch(/Max-Age=0/)
    expect((await b.get('/')).text).toContain('href="/login"')
  })

  it('shows a friendly 503 with Retry-After when every hashing slot is taken', async () => {
    const { host } = await member('ivy@example.com')
    const app = createApp({
      config: gw.config,
      db: gw.db,
      log: memoryLog().log,
      readiness: { migrated: true },
      hasher: createHasher({ maxConcurrent: 1, maxWaiting: 0 }),
    })
    const b = browser(host, app)
    const csrf = await b.csrf('/login')
    const fields = { _csrf: csrf, email: 'ivy@example.com', password: PASSWORD }
    const results = await Promise.all(Array.from({ length: 8 }, () => b.post('/login', fields)))
    const busy = results.find((r) => r.status === 503)
    expect(busy?.headers['retry-after']).toBe('1')
    expect(busy?.text).toContain('Please try again in a moment.')
  })
})
