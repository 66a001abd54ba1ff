import { once } from 'node:events'
import { createServer, request } from 'node:http'
import { afterAll, beforeAll } from 'vitest'
import type { Deps } from '../../src/app.js'
import { onPostgres } from './database.js'
import { type Gateway, separateApp, TEST_ENV, useGateway } from './harness.js'
import { freePort, ready, startGateway } from './process.js'

/** One request the balancer passed on: to which gateway (0 or 1), and its answer's status. */
export type Hop = { backend: number; method: string; path: string; status: number }

/**
 * This file's gateway as two gateways sharing nothing but the database, behind one balancer on
 * the port the tenants' public URLs name. On PostgreSQL the two are real `gateway serve`
 * processes; on PGlite (one process per database) two apps built apart in this process.
 * `pick(n)` says which gateway answers the n-th request (from 0). Call with top-level await.
 */
export async function useTwoGateways(
  pick: (n: number) => number,
  /** What the two in-process apps (PGlite) get instead of the file's own deps. */
  appDeps: (gw: Gateway) => Partial<Deps> = () => ({}),
) {
  const port = await freePort()
  const env = { PUBLIC_URL_TEMPLATE: `http://{host}:${port}` }
  const gw: Gateway = useGateway(env)
  const hops: Hop[] = []
  const backends: number[] = []
  const stops: (() => Promise<unknown>)[] = []
  let requests = 0
  const balancer = createServer((req, res) => {
    const backend = pick(requests++)
    const upstream = request(
      {
        host: '127.0.0.1',
        port: backends[backend],
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        hops.push({
          backend,
          method: req.method ?? 'GET',
          path: new URL(req.url ?? '/', 'http://x').pathname,
          status: answer.statusCode ?? 0,
        })
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })

  beforeAll(async () => {
    balancer.listen(port, '127.0.0.1')
    await once(balancer, 'listening')
    if (onPostgres()) {
      const processes = await Promise.all(
        [0, 1].map(() => startGateway({ ...TEST_ENV, ...env, DATABASE_URL: gw.url! })),
      )
      for (const p of processes) {
        stops.push(() => p.stop())
        await p.until(ready, 'ready')
        backends.push(p.port)
      }
    } else {
      for (let i = 0; i < 2; i++) {
        const server = separateApp(gw, appDeps(gw)).listen(0, '127.0.0.1')
        await once(server, 'listening')
        stops.push(() => new Promise((resolve) => server.close(resolve)))
        backends.push((server.address() as { port: number }).port)
      }
    }
  }, 240_000) // spawning two node + tsx processes on a loaded machine
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()))
    await new Promise((resolve) => balancer.close(resolve))
  })
  return { gw, hops }
}
