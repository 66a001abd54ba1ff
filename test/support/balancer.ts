import { once } from 'node:events'
import { createServer, request } from 'node:http'

/**
 * A balancer on `port` in front of gateway processes: `backends` may change while it runs (a
 * process killed, another added), and `pick(n)` says which of them takes the n-th request.
 * A backend that cannot be reached answers 502, as HAProxy would without a retry.
 */
export async function startBalancer(port: number, pick: (n: number, count: number) => number) {
  const backends: number[] = []
  let requests = 0
  const server = createServer((req, res) => {
    const target = backends[pick(requests++, backends.length)]
    const upstream = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    req.pipe(upstream)
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return {
    backends,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
