import express from 'express'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { errorHandler } from '../../src/http/errors.js'
import { memoryLog, useGateway } from '../support/harness.js'

// A client's mistake answers 4xx and is logged below error level: error lines are for what we
// must fix.
describe('client mistakes (OWASP ASVS 4.0.3 7.4.1: a generic message, no internals)', () => {
  const gw = useGateway()
  const errorLines = () => gw.logs().filter((l) => Number(l.level) >= 50)

  it('answers a path climbing out of /assets with our 404', async () => {
    const { slug } = await gw.createTenant()
    for (const path of [
      '/assets/../../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/missing.css',
    ]) {
      const res = await gw.get(`${slug}.localhost`, path).set('Accept', 'application/json')
      expect([path, res.status, res.body.error]).toEqual([path, 404, 'not_found'])
      expect(res.text).not.toContain('ENOENT')
    }
    expect(errorLines()).toEqual([])
  })

  it('answers a malformed %-escape in the path with 400', async () => {
    const { slug } = await gw.createTenant()
    for (const path of ['/login%zz', '/%E0%A4%A', '/invite/%E0%A4%A', '/assets/%zz']) {
      const res = await gw.get(`${slug}.localhost`, path).set('Accept', 'application/json')
      expect([path, res.status, res.body.error]).toEqual([path, 400, 'invalid_request'])
    }
    const page = await gw.get(`${slug}.localhost`, '/login%zz')
    expect(page.status).toBe(400)
    expect(page.type).toBe('text/html')
    expect(errorLines()).toEqual([])
  })

  it('answers a body that claims gzip but is not with 400, on forms and on the API', async () => {
    const { slug } = await gw.createTenant()
    const form = await supertest(gw.app)
      .post('/login')
      .set('Host', `${slug}.localhost`)
      .set('Content-Encoding', 'gzip')
      .type('form')
      .send('email=a%40example.com')
    expect(form.status).toBe(400)
    const api = await supertest(gw.app)
      .post('/admin/api/v1/tenants')
      .set('Content-Encoding', 'gzip')
      .type('json')
      .send('{"slug":"x"}')
    expect(api.status).toBe(400)
    expect(api.body.error).toBe('invalid_request')
    expect(errorLines()).toEqual([])
  })

  it('keeps the status of any library HTTP error, generically', async () => {
    const { log, lines } = memoryLog()
    const app = express()
    app.locals.log = log
    app.get('/:status', (req) => {
      const status = Number(req.params.status)
      // http-errors' shape (body-parser, send, raw-body); some set only statusCode.
      throw Object.assign(new Error('library detail /srv/secret'), {
        ...(status % 2 ? { statusCode: status } : { status }),
        expose: status !== 404,
      })
    })
    app.use(errorHandler)
    for (const [status, expected] of [
      [400, 400],
      [403, 404], // a refused file is simply not here
      [404, 404],
      [405, 405],
      [413, 413],
      [415, 415],
      [416, 416],
    ]) {
      const res = await supertest(app).get(`/${status}`).set('Accept', 'application/json')
      expect([status, res.status]).toEqual([status, expected])
      expect(res.text).not.toContain('/srv/secret')
    }
    expect(lines().filter((l) => Number(l.level) >= 50)).toEqual([])
    expect((await supertest(app).get('/500')).status).toBe(500)
    expect(lines().filter((l) => Number(l.level) >= 50)).toHaveLength(1)
  })
})
