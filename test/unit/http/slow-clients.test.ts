import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpServer, SLOW_CLIENT_LIMITS } from '../../../src/http/server.js'

// CWE-400, slowloris: a client that trickles its request cannot hold a
// connection for minutes.
describe('slow clients (CWE-400, slowloris)', () => {
  it('are dropped within 30 s with the gateway limits', () => {
    const server = httpServer(() => {})
    const { headersTimeoutMs, requestTimeoutMs, checkEveryMs } = SLOW_CLIENT_LIMITS
    expect(server.headersTimeout).toBe(headersTimeoutMs)
    expect(server.requestTimeout).toBe(requestTimeoutMs)
    expect(headersTimeoutMs).toBeLessThanOrEqual(requestTimeoutMs)
    expect(requestTimeoutMs + checkEveryMs).toBeLessThanOrEqual(30_000)
  })

  describe('on a server with short limits', () => {
    const server = httpServer(
      (req, res) => {
        req.resume()
        req.on('end', () => res.end('ok'))
      },
      { headersTimeoutMs: 200, requestTimeoutMs: 300, checkEveryMs: 50 },
    )
    let port = 0
    beforeAll(async () => {
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      port = (server.address() as AddressInfo).port
    })
    afterAll(() => server.close())

    // What the server answered before it closed the connection.
    async function answerTo(partialRequest: string): Promise<string> {
      const socket = connect(port, '127.0.0.1')
      let received = ''
      socket.on('data', (chunk) => (received += String(chunk)))
      socket.write(partialRequest) // and then nothing more
      await once(socket, 'close')
      return received
    }

    it('answers 408 and closes when the headers never end', async () => {
      expect(await answerTo('GET / HTTP/1.1\r\nHost: a.localhost\r\nX-Slow: ')).toMatch(
        /^HTTP\/1\.1 408 /,
      )
    })

    it('answers 408 and closes when the body never arrives', async () => {
      const head = 'POST / HTTP/1.1\r\nHost: a.localhost\r\nContent-Length: 100\r\n\r\n'
      expect(await answerTo(`${head}x=1`)).toMatch(/^HTTP\/1\.1 408 /)
    })

    it('still serves a request that arrives in time', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`)
      expect(await res.text()).toBe('ok')
    })
  })
})
