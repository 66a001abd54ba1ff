import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { createHasher } from '../../src/identity/hashing.js'
import { publishTerms } from '../../src/identity/terms.js'
import { inviteMembers, revokeInvitation } from '../../src/invitations/invitations.js'
import { open } from '../../src/lib/seal.js'
import { newToken } from '../../src/lib/tokens.js'
import {
  getTenant,
  listDirectories,
  type Tenant,
  updateSettings,
} from '../../src/tenants/tenants.js'
import { onPostgres } from '../support/database.js'
import { memoryLog, useGateway } from '../support/harness.js'

// DESIGN.md "Interfaces users touch" (login, activation, Terms, password reset pages) and the
// seeds: single-use links, per-store password policy, Terms document opened before Submit.
const gw = useGateway()
const PASSWORD = 'violet anchor harbor 93'
const DAY = 86_400_000

type Fields = Record<string, string>

function browser(host: string, app = gw.app) {
  const agent = supertest.agent(app)
  const get = (path: string) => agent.get(path).set('Host', host).set('Accept', 'text/html')
  const post = (path: string, fields: Fields) =>
    agent.post(path).set('Host', host).set('Accept', 'text/html').type('form').send(fields)
  const csrf = async (path: string) => {
    const token = /name="_csrf" value="([^"]+)"/.exec((await get(path)).text)?.[1]
    if (!token) throw new Error(`no CSRF field on ${path}`)
    return token
  }
  /** What a person does: open the form, fill it in, send it. */
  const submit = async (path: string, fields: Fields, formPath = path) =>
    post(path, { _csrf: await csrf(formPath), ...fields })
  return { get, post, csrf, submit }
}

async function store(patch?: Record<string, unknown>, name?: string) {
  const created = await gw.createTenant(name ? { name } : {})
  if (patch) await updateSettings(gw.db, created, patch, gw.config.passwordPolicies)
  const tenant = await getTenant(gw.db, created.slug, gw.config)
  return { tenant, host: `${tenant.slug}.localhost` }
}

async function lastLink(tenant: Tenant, to: string, marker: string): Promise<string> {
  const row = await gw.db
    .selectFrom('outbox')
    .select('secret')
    .where('tenant_id', '=', tenant.id)
    .where('to_address', '=', to)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow()
  const { link } = JSON.parse(open(gw.config.secretKey, 'outbox', row.secret as Uint8Array))
  return (link as string).slice((link as string).indexOf(marker) + marker.length)
}

async function invite(tenant: Tenant, email: string, person: Fields = {}, now?: Date) {
  const ctx = { secretKey: gw.config.secretKey, ...(now ? { now } : {}) }
  const [result] = await inviteMembers(gw.db, tenant, { invitees: [{ email, ...person }] }, ctx)
  if (result?.status !== 'invited' && result?.status !== 'reinvited') throw new Error('not invited')
  return { token: await lastLink(tenant, email, '/invite/'), id: result.invitationId }
}

const activate = (b: ReturnType<typeof browser>, token: string, password = PASSWORD) =>
  b.submit(`/invite/${token}`, { password, password_confirm: password })

async function member(email = 'ada@example.com', patch?: Record<string, unknown>) {
  const s = await store(patch)
  const { token } = await invite(s.tenant, email)
  expect((await activate(browser(s.host), token)).status).toBe(303)
  return s
}

// The harness cannot share a directory yet: point tenant b at a's directory directly.
async function shareDirectory(b: Tenant, a: Tenant) {
  const [directory] = await listDirectories(gw.db, a.id)
  await gw.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('tenant_directories').where('tenant_id', '=', b.id).execute()
    await tx
      .insertInto('tenant_directories')
      .values({ tenant_id: b.id, directory_id: directory!.id })
      .execute()
  })
}

const cookieOf = (res: supertest.Response, name: string) =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`))

describe('activation pages', () => {
  it('sets the password through the form and signs the person in', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'ada@example.com', { firstName: 'Ada' })
    const b = browser(host)
    const form = await b.get(`/invite/${token}`)
    expect(form.status).toBe(200)
    expect(form.text).toMatch(/<input id="email"[^>]*readonly[^>]*value="ada@example.com"/)
    expect(form.text).toContain('data-rule="too_short"')
    expect(form.text).toContain('<script src="/assets/password-policy.js" defer></script>')

    const res = await activate(b, token)
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/')
    expect((await b.get('/')).text).toContain('Signed in as ada@example.com')
    const login = await browser(host).submit('/login', {
      email: 'ada@example.com',
      password: PASSWORD,
    })
    expect(login.status).toBe(303)
  })

  it('refuses a POST without the CSRF field, and the link still works', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'csrf@example.com')
    const b = browser(host)
    await b.get(`/invite/${token}`)
    const forged = await b.post(`/invite/${token}`, {
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(forged.status).toBe(403)
    expect((await activate(b, token)).status).toBe(303)
  })

  it.each([
    ['classes-10', 10],
    ['short-6', 6],
  ])('holds the %s policy at its minimum length of %i', async (policy, min) => {
    const { tenant, host } = await store({ passwordPolicy: policy })
    const { token } = await invite(tenant, 'bob@example.com')
    const b = browser(host)
    const short = await activate(b, token, 'Qv7#mZ9$kw'.slice(0, min - 1))
    expect(short.status).toBe(422)
    expect(short.text).toContain(`Use at least ${min} characters.`)
    const mismatch = await b.submit(`/invite/${token}`, {
      password: PASSWORD,
      password_confirm: 'x',
    })
    expect(mismatch.status).toBe(422)
    expect(mismatch.text).toContain('The two passwords do not match.')
    expect((await activate(b, token, 'Qv7#mZ9$kw'.slice(0, min))).status).toBe(303)
  })

  it('lists every reason a password is refused', async () => {
    const { tenant, host } = await store({ passwordPolicy: 'classes-10' })
    const { token } = await invite(tenant, 'carol@example.com')
    const res = await activate(browser(host), token, 'qvmz')
    expect(res.status).toBe(422)
    for (const reason of [
      'Use at least 10 characters.',
      'Add an uppercase letter.',
      'Add a digit or a symbol.',
    ])
      expect(res.text).toContain(reason)
  })

  it('shows one page for used, revoked, expired, malformed, unknown and foreign links', async () => {
    const { tenant, host } = await store()
    const other = await store()
    const used = await invite(tenant, 'used@example.com')
    await activate(browser(host), used.token)
    const revoked = await invite(tenant, 'revoked@example.com')
    await revokeInvitation(gw.db, tenant, revoked.id)
    const expired = await invite(tenant, 'expired@example.com', {}, new Date(Date.now() - 8 * DAY))
    const foreign = await invite(other.tenant, 'foreign@example.com')

    const tokens = [used.token, revoked.token, expired.token, 'abc', newToken(), foreign.token]
    const pages = await Promise.all(tokens.map((token) => browser(host).get(`/invite/${token}`)))
    for (const res of pages) {
      expect(res.status).toBe(400)
      expect(res.text).toBe(pages[0]?.text)
    }
    expect(pages[0]?.text).toContain(
      'This link is no longer valid, ask your administrator for a new invitation.',
    )
    expect((await browser(other.host).get(`/invite/${foreign.token}`)).status).toBe(200)

    const b = browser(host)
    const replay = await b.post(`/invite/${used.token}`, {
      _csrf: await b.csrf('/login'),
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(replay.status).toBe(400)
    expect(replay.text).toBe(pages[0]?.text)
  })

  it('keeps link pages out of caches and Referer headers', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'headers@example.com')
    for (const path of [`/invite/${token}`, `/invite/${newToken()}`]) {
      const res = await browser(host).get(path)
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      expect(res.headers['cache-control']).toBe('no-store')
    }
  })

  it('escapes names on pages', async () => {
    const { tenant, host } = await store(undefined, 'Acme <b>Store</b>')
    const { token } = await invite(tenant, 'xss@example.com', {
      firstName: '<img src=x onerror=alert(1)>',
    })
    const page = (await browser(host).get(`/invite/${token}`)).text
    expect(page).toContain('Welcome, &lt;img src=x onerror=alert(1)&gt;.')
    expect(page).toContain('Acme &lt;b&gt;Store&lt;/b&gt;')
    expect(page).not.toContain('<img src=x')
    expect(page).not.toContain('<b>Store')
  })

  it('speaks the invitation language, then ?lang= and Accept-Language', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'fr@example.com', { locale: 'fr' })
    const page = await browser(host).get(`/invite/${token}`).set('Accept-Language', 'de')
    expect(page.text).toContain('<html lang="fr">')
    expect(page.text).toContain('Activez votre compte')
    expect(
      (await browser(host).get('/login').set('Accept-Language', 'de-CH, en;q=0.5')).text,
    ).toContain('Anmelden')
    expect((await browser(host).get('/login?lang=nl').set('Accept-Language', 'de')).text).toContain(
      'Inloggen',
    )
  })

  it('offers the matching app on a native store, then the form', async () => {
    const links = {
      iosUrl: 'https://apps.apple.com/app/id1',
      androidUrl: 'https://play.google.com/store/apps/details?id=x',
    }
    const { tenant, host } = await store({ store: { kind: 'native', ...links } })
    const { token } = await invite(tenant, 'native@example.com')
    const iphone = await browser(host)
      .get(`/invite/${token}`)
      .set('User-Agent', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)')
    expect(iphone.text).toContain(links.iosUrl)
    expect(iphone.text).not.toContain('play.google.com')
    const android = await browser(host)
      .get(`/invite/${token}`)
      .set('User-Agent', 'Mozilla/5.0 (Linux; Android 14)')
    expect(android.text).toContain('play.google.com')
    expect(android.text).not.toContain(links.iosUrl)
    const desktop = await browser(host)
      .get(`/invite/${token}`)
      .set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64)')
    expect(desktop.text).toContain(links.iosUrl)
    expect(desktop.text).toContain('play.google.com')
    expect(desktop.text).toContain(`href="/invite/${token}?continue=1"`)
    expect((await browser(host).get(`/invite/${token}?continue=1`)).text).toContain(
      'id="password-confirm"',
    )
  })
})

describe.skipIf(!onPostgres())('activation under concurrency', () => {
  it('lets exactly one of 20 simultaneous activations through', async () => {
    const { tenant, host } = await store()
    const { token } = await invite(tenant, 'race@example.com')
    const b = browser(host)
    const csrf = await b.csrf(`/invite/${token}`)
    const fields = { _csrf: csrf, password: PASSWORD, password_confirm: PASSWORD }
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => b.post(`/invite/${token}`, fields).then((r) => r.status)),
    )
    expect(statuses.filter((s) => s === 303)).toHaveLength(1)
    expect(statuses.filter((s) => s === 400)).toHaveLength(19)
  })
})

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

describe('a customer with several stores', () => {
  it('asks an existing user to log in, and the same password works on the second store', async () => {
    const a = await member('joy@example.com')
    const b = await store()
    await shareDirectory(b.tenant, a.tenant)
    const { token } = await invite(b.tenant, 'joy@example.com')
    const page = browser(b.host)
    const form = await page.get(`/invite/${token}`)
    expect(form.text).toContain(
      'You already have an account with this company: log in with your password.',
    )
    expect(form.text).not.toContain('password-confirm')
    const wrong = await page.submit(`/invite/${token}`, { password: 'not the password 1' })
    expect(wrong.status).toBe(401)
    expect((await page.submit(`/invite/${token}`, { password: PASSWORD })).status).toBe(303)
    expect(
      (await browser(b.host).submit('/login', { email: 'joy@example.com', password: PASSWORD }))
        .status,
    ).toBe(303)
  })

  it('makes a stricter store ask for a new password before anything else', async () => {
    const a = await store({ passwordPolicy: 'classes-10' })
    const b = await store({ termsRequired: true }) // nist: at least 15 characters
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, b.tenant.id, { title: 'Terms', text: 'Be nice.' }))
    await shareDirectory(b.tenant, a.tenant)
    const { token } = await invite(a.tenant, 'kim@example.com')
    await activate(browser(a.host), token, 'Qv7#mZ9$kw')
    await invite(b.tenant, 'kim@example.com')

    const s = browser(b.host)
    const login = await s.submit('/login', { email: 'kim@example.com', password: 'Qv7#mZ9$kw' })
    expect(login.headers.location).toBe('/password/change')
    for (const path of ['/', '/terms', '/login'])
      expect((await s.get(path)).headers.location).toBe('/password/change')
    const weak = await s.submit('/password/change', {
      password: 'Qv7#mZ9$kwx',
      password_confirm: 'Qv7#mZ9$kwx',
    })
    expect(weak.status).toBe(422)
    expect(weak.text).toContain('Use at least 15 characters.')
    const strong = await s.submit('/password/change', {
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(strong.headers.location).toBe('/terms')
  })
})

describe('Terms of Service', () => {
  it('come before the store, and a document must be opened before Submit', async () => {
    const { tenant, host } = await store({ termsRequired: true })
    const documentUrl = 'https://docs.example.com/terms.pdf'
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, tenant.id, { title: 'Store terms', documentUrl }))
    const { token } = await invite(tenant, 'lea@example.com')
    const b = browser(host)
    expect((await activate(b, token)).headers.location).toBe('/terms')
    expect((await b.get('/')).headers.location).toBe('/terms')

    const terms = await b.get('/terms')
    expect(terms.text).toContain('href="/terms/document?v=1"')
    expect(terms.text).toMatch(/<button id="terms-submit" type="submit" disabled/)
    const early = await b.submit('/terms', { version: '1', accept: 'yes' })
    expect(early.status).toBe(422)
    expect(early.text).toContain('Open the Terms of Service document before you accept it.')
    const forged = await b
      .post('/terms', { _csrf: await b.csrf('/terms'), version: '1', accept: 'yes' })
      .set('Cookie', 'terms_opened=1.forged')
    expect(forged.status).toBe(422)

    const opened = await b.get('/terms/document?v=1')
    expect(opened.status).toBe(303)
    expect(opened.headers.location).toBe(documentUrl)
    expect((await b.get('/terms')).text).not.toMatch(
      /<button id="terms-submit" type="submit" disabled/,
    )
    expect((await b.submit('/terms', { version: '1' })).text).toContain(
      'Tick the box to accept the Terms of Service.',
    )
    const accepted = await b.submit('/terms', { version: '1', accept: 'yes' })
    expect(accepted.headers.location).toBe('/')
    expect((await b.get('/')).text).toContain('Signed in as lea@example.com')
  })

  it('show a text version escaped, in paragraphs', async () => {
    const { tenant, host } = await store({ termsRequired: true })
    const text = 'First <script>alert(1)</script>\n\nSecond'
    await gw.db.transaction().execute((tx) => publishTerms(tx, tenant.id, { title: 'T & C', text }))
    const { token } = await invite(tenant, 'max@example.com')
    const b = browser(host)
    await activate(b, token)
    const page = (await b.get('/terms')).text
    expect(page).toContain('<p>First &lt;script&gt;alert(1)&lt;/script&gt;</p>')
    expect(page).toContain('<p>Second</p>')
    expect((await b.submit('/terms', { version: '1', accept: 'yes' })).headers.location).toBe('/')
  })
})

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
