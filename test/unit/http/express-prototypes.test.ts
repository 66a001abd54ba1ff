import { once } from 'node:events'
import { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { requestContext } from '../../../src/http/request-context.js'
import { expressPrototypes, httpServer } from '../../../src/http/server.js'
import { createLog } from '../../../src/log.js'

async function get(server: ReturnType<typeof httpServer>, path: string) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const { port } = server.address() as AddressInfo
    const res = await fetch(`http://127.0.0.1:${port}${path}`)
    return { status: res.status, body: await res.text(), headers: res.headers }
  } finally {
    server.close()
  }
}

// Express sets its prototypes on every request with Object.setPrototypeOf, which on Node 20
// keeps each request's objects in the heap past young collections (src/http/server.ts). The
// gateway's server makes them with those prototypes from the start; Express works unchanged.
describe("the gateway's HTTP server", () => {
  it("makes an Express app's requests and responses with the app's own prototypes", async () => {
    const app = express()
    let seen: { req: boolean; res: boolean; node: boolean } | undefined
    app.get('/x', (req, res) => {
      seen = {
        req: Object.getPrototypeOf(req) === app.request,
        res: Object.getPrototypeOf(res) === app.response,
        node: req instanceof IncomingMessage && res instanceof ServerResponse,
      }
      res.status(201).json({ q: req.query.q, host: req.hostname })
    })
    const answer = await get(httpServer(app), '/x?q=1')
    expect(answer.status).toBe(201)
    expect(JSON.parse(answer.body)).toEqual({ q: '1', host: '127.0.0.1' })
    expect(seen).toEqual({ req: true, res: true, node: true })
  })

  it("keeps Node's own classes for a handler that is not an Express app", async () => {
    expect(expressPrototypes(() => {})).toEqual({})
    const answer = await get(
      httpServer((req, res) =>
        res.end(String(Object.getPrototypeOf(req) === IncomingMessage.prototype)),
      ),
      '/',
    )
    expect(answer.body).toBe('true')
  })
})

describe('the request log (res.locals.log)', () => {
  it('is made on first use with the request id, and the tenant once resolved', async () => {
    const lines: Record<string, unknown>[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)))
        done()
      },
    })
    const log = createLog('info', sink)
    const app = express()
    app.use(requestContext(log, 'debug'))
    app.get('/x', (_req, res) => {
      res.locals.log.info('before')
      res.locals.tenant = { slug: 'acme' } as never
      res.locals.log.info('after')
      const own = log.child({ mine: true })
      res.locals.log = own
      res.locals.log.info('replaced')
      res.json({ id: res.locals.requestId, keys: Object.keys(res.locals) })
    })
    const answer = await get(httpServer(app), '/x')
    const { id, keys } = JSON.parse(answer.body)
    expect(answer.headers.get('x-request-id')).toBe(id)
    expect(keys).toContain('requestId')
    expect(
      lines.map(({ msg, requestId, tenant, mine }) => ({ msg, requestId, tenant, mine })),
    ).toEqual([
      { msg: 'before', requestId: id, tenant: undefined, mine: undefined },
      { msg: 'after', requestId: id, tenant: 'acme', mine: undefined },
      { msg: 'replaced', requestId: undefined, tenant: undefined, mine: true },
    ])
  })
})
