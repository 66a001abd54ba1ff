import express, { Router } from 'express'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { publishTerms } from '../../src/identity/terms.js'
import { csrfToken, verifyCsrf } from '../../src/http/csrf.js'
import { useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

describe('pages with forms or personal data', () => {
  const gw = useGateway()
  const { browser, store, invite, activate } = pageHelpers(gw)

  const expectPrivateAndUnframeable = (res: supertest.Response, path: string) => {
    expect([path, res.headers['cache-control']]).toEqual([path, 'no-store'])
    expect([path, res.headers['x-frame-options']]).toEqual([path, 'DENY'])
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
  }

  // OWASP ASVS 4.0.3 8.2.1 (anti-caching headers on sensitive pages) and 14.4.7 (not framable).
  it('send Cache-Control: no-store and X-Frame-Options: DENY (OWASP ASVS 8.2.1, 14.4.7)', async () => {
    const { tenant, host } = await store({ termsRequired: true })
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, tenant.id, { title: 'Store terms', text: 'Be kind.' }))
    const b = browser(host)
    for (const path of ['/login', '/forgot-password', '/me']) {
      expectPrivateAndUnframeable(await b.get(path), path)
    }
    const { token } = await invite(tenant, 'headers@example.com')
    expectPrivateAndUnframeable(await b.get(`/invite/${token}`), '/invite/:token')
    expect((await activate(b, token)).headers.location).toBe('/terms')
    const terms = await b.get('/terms')
    expect(terms.status).toBe(200)
    expectPrivateAndUnframeable(terms, '/terms')
    expect((await b.submit('/terms', { version: '1', accept: 'yes' })).status).toBe(303)
    for (const path of ['/', '/password/change']) {
      const res = await b.get(path)
      expect([path, res.status]).toEqual([path, 200])
      expectPrivateAndUnframeable(res, path)
    }
  })

  // The regression this guards: a form whose path was missing from an allowlist of parsed
  // paths had no body, so its CSRF check refused every submission (403).
  it('parse the form of a new form route with no edit anywhere else', async () => {
    const tenant = await gw.createTenant()
    const app = express()
    app.use((_req, res, next) => ((res.locals.tenant = tenant), next()))
    const newForm = Router()
    newForm.get('/new-form', (req, res) => {
      res.send(`<input name="_csrf" value="${csrfToken(req, res, gw.config.secretKey)}">`)
    })
    newForm.post('/new-form', verifyCsrf(gw.config.secretKey), (req, res) => {
      res.json(req.body)
    })
    app.use(newForm)

    const agent = supertest.agent(app)
    const page = await agent.get('/new-form')
    expect(page.headers['cache-control']).toBe('no-store')
    const token = /value="([^"]+)"/.exec(page.text)?.[1] ?? ''
    const sent = await agent.post('/new-form').type('form').send({ _csrf: token, note: 'hello' })
    expect(sent.status).toBe(200)
    expect(sent.body).toEqual({ _csrf: token, note: 'hello' })
  })
})
