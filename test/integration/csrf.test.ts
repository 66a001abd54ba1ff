import { randomUUID } from 'node:crypto'
import express from 'express'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { csrfToken, verifyCsrf } from '../../src/http/csrf.js'
import { errorHandler } from '../../src/http/errors.js'
import type { Tenant } from '../../src/tenants/tenants.js'

// OWASP ASVS 5.0 V3.5.1 (cross-site request forgery): signed double-submit, tenant-bound.
const SECRET = 'test-secret-key-test-secret-key-0123456789'

function formApp(publicUrl = 'http://t.localhost:3000') {
  // Only what the CSRF functions read of a tenant.
  const tenants: Record<string, Pick<Tenant, 'id' | 'publicUrl'>> = {
    a: { id: randomUUID(), publicUrl },
    b: { id: randomUUID(), publicUrl: 'http://other.localhost:3000' },
  }
  const app = express()
  app.use((req, res, next) => {
    res.locals.tenant = tenants[req.get('x-tenant') ?? 'a'] as Tenant
    next()
  })
  app.use(express.urlencoded({ extended: false }))
  app.get('/form', (req, res) => {
    res.json({ token: csrfToken(req, res, SECRET), again: csrfToken(req, res, SECRET) })
  })
  app.post('/form', verifyCsrf(SECRET), (_req, res) => {
    res.json({ ok: true })
  })
  app.use(errorHandler)
  return app
}

async function getForm(app: express.Express, tenant = 'a', cookie?: string) {
  const req = supertest(app).get('/form').set('x-tenant', tenant)
  const res = await (cookie ? req.set('Cookie', cookie) : req)
  const setCookie = res.headers['set-cookie'] as unknown as string[] | undefined
  return {
    token: res.body.token as string,
    again: res.body.again as string,
    setCookie,
    cookie: setCookie?.[0]?.split(';')[0] ?? cookie ?? '',
  }
}

const post = (app: express.Express, cookie: string, token?: string, tenant = 'a') =>
  supertest(app)
    .post('/form')
    .set('x-tenant', tenant)
    .set('Cookie', cookie)
    .set('Accept', 'application/json')
    .type('form')
    .send(token === undefined ? { name: 'x' } : { _csrf: token, name: 'x' })

describe('CSRF protection of forms', () => {
  const app = formApp()

  it('sets an HttpOnly SameSite=Lax cookie (no Secure on plain http) and returns a token', async () => {
    const form = await getForm(app)
    expect(form.setCookie).toHaveLength(1)
    expect(form.setCookie?.[0]).toMatch(/^csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/)
    expect(form.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(form.again).toBe(form.token)
  })

  it('keeps the cookie the browser already has', async () => {
    const first = await getForm(app)
    const second = await getForm(app, 'a', first.cookie)
    expect(second.setCookie).toBeUndefined()
    expect(second.token).toBe(first.token)
  })

  it('accepts a POST carrying the cookie and its token', async () => {
    const { cookie, token } = await getForm(app)
    const res = await post(app, cookie, token).set('Origin', 'http://t.localhost:3000')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ ok: true })
    expect((await post(app, cookie, token)).status).toBe(200) // no Origin header: token decides
  })

  it('refuses a POST without a token', async () => {
    const { cookie } = await getForm(app)
    const res = await post(app, cookie)
    expect(res.status).toBe(403)
    expect(res.body).toEqual({
      error: 'forbidden',
      message: 'This form has expired. Please reload the page and try again.',
      details: null,
    })
  })

  it('refuses a POST without the cookie', async () => {
    const { token } = await getForm(app)
    expect((await post(app, '', token)).status).toBe(403)
  })

  it('refuses a token minted for another cookie', async () => {
    const mine = await getForm(app)
    const theirs = await getForm(app)
    expect((await post(app, mine.cookie, theirs.token)).status).toBe(403)
  })

  it('refuses a token minted for another tenant (ASVS 8.4.1)', async () => {
    const mine = await getForm(app, 'a')
    const other = await getForm(app, 'b', mine.cookie)
    expect(other.token).not.toBe(mine.token)
    expect((await post(app, mine.cookie, other.token, 'a')).status).toBe(403)
  })

  it.each(['https://evil.example', 'http://other.localhost:3000'])(
    'refuses a POST from the foreign origin %s',
    async (origin) => {
      const { cookie, token } = await getForm(app)
      expect((await post(app, cookie, token).set('Origin', origin)).status).toBe(403)
    },
  )

  // Chromium sends "Origin: null" for form POSTs from no-referrer pages (invitation and reset
  // links): the token alone decides there, so a valid one passes and a missing one does not.
  it('lets the token decide when the Origin is "null"', async () => {
    const { cookie, token } = await getForm(app)
    expect((await post(app, cookie, token).set('Origin', 'null')).status).toBe(200)
    expect((await post(app, cookie, 'x'.repeat(43)).set('Origin', 'null')).status).toBe(403)
  })

  it('refuses a malformed token or cookie', async () => {
    const { token } = await getForm(app)
    expect((await post(app, 'csrf=short', token)).status).toBe(403)
    const res = await supertest(app)
      .post('/form')
      .set('Cookie', (await getForm(app)).cookie)
      .type('form')
      .send('_csrf=a&_csrf=b')
    expect(res.status).toBe(403)
  })

  it('uses a Secure __Host- cookie when the tenant is served over https', async () => {
    const secure = formApp('https://store.example.com')
    const form = await getForm(secure)
    expect(form.setCookie?.[0]).toMatch(
      /^__Host-csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    )
    const res = await post(secure, form.cookie, form.token).set(
      'Origin',
      'https://store.example.com',
    )
    expect(res.status).toBe(200)
    const plainName = form.cookie.replace('__Host-csrf=', 'csrf=')
    expect((await post(secure, plainName, form.token)).status).toBe(403)
  })
})
