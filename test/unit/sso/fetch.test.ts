import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  fetchText,
  guardedFetch,
  guardedLookup,
  isInternalAddress,
  urlProblem,
} from '../../../src/sso/fetch.js'

const production = { development: false }
const development = { development: true }

// OWASP ASVS 5.0 V1.3 / V15 (server-side request forgery): a metadata URL or an issuer an admin
// typed is fetched from inside the operator's network.
describe('URLs an admin gives the gateway to fetch', () => {
  it.each([
    ['http://idp.example/metadata', 'must use https'],
    ['ftp://idp.example/metadata', 'must use https'],
    ['https://user:pw@idp.example/', 'must not contain a user name or password'],
    ['https://localhost/metadata', 'must not point to this machine (localhost)'],
    ['https://admin.localhost/metadata', 'must not point to this machine (localhost)'],
    ['https://127.0.0.1/metadata', 'must not point to a loopback, private or link-local address'],
    ['https://10.1.2.3/', 'must not point to a loopback, private or link-local address'],
    [
      'https://169.254.169.254/latest/meta-data',
      'must not point to a loopback, private or link-local address',
    ],
    ['https://[::1]/', 'must not point to a loopback, private or link-local address'],
    ['https://[::ffff:127.0.0.1]/', 'must not point to a loopback, private or link-local address'],
    ['https://[fd00::1]/', 'must not point to a loopback, private or link-local address'],
    ['not a url', 'is not a URL'],
  ])('outside development, %s is refused: %s', (url, problem) => {
    expect(urlProblem(production, url)).toBe(problem)
  })

  it('outside development, a public https URL is allowed', () => {
    expect(urlProblem(production, 'https://login.microsoftonline.com/organizations/v2.0')).toBe(
      undefined,
    )
  })

  it('in development, http and loopback are allowed (an IdP on a laptop or in a test)', () => {
    expect(urlProblem(development, 'http://127.0.0.1:4000/metadata')).toBe(undefined)
  })

  it.each([
    '127.0.0.1',
    '10.0.0.8',
    '172.20.1.1',
    '192.168.1.1',
    '100.64.0.1',
    '::1',
    'fe80::1',
    '::ffff:10.0.0.1',
  ])('%s is internal', (address) => expect(isInternalAddress(address)).toBe(true))
  it.each(['93.184.216.34', '2606:4700::1111'])('%s is public', (address) =>
    expect(isInternalAddress(address)).toBe(false),
  )

  it('a public name that resolves to an internal address is refused when the connection opens (DNS rebinding)', async () => {
    const rebinding = ((_host: string, _options: unknown, callback: (...args: unknown[]) => void) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }])) as never
    const lookup = guardedLookup(production, rebinding)
    const result = await new Promise<{ err: NodeJS.ErrnoException | null }>((resolve) =>
      (
        lookup as unknown as (
          h: string,
          o: object,
          cb: (err: NodeJS.ErrnoException | null) => void,
        ) => void
      )('idp.example', { all: true }, (err) => resolve({ err })),
    )
    expect(result.err?.message).toBe(
      'idp.example resolves to a loopback, private or link-local address',
    )
  })
})

describe('fetching under the policy', () => {
  let server: Server
  let base: string
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') return res.end('<EntityDescriptor/>')
      if (req.url === '/redirect') return res.writeHead(302, { location: '/ok' }).end()
      if (req.url === '/big') {
        res.writeHead(200) // no content-length: the limit holds while reading
        const chunk = Buffer.alloc(64 * 1024, 'a')
        for (let i = 0; i < 40; i++) res.write(chunk)
        return res.end()
      }
      if (req.url === '/declared-big')
        return res.writeHead(200, { 'content-length': String(5 * 1024 * 1024) }).end()
      // /hang: headers never come
    }).listen(0, '127.0.0.1')
    await once(server, 'listening')
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => {
    server.closeAllConnections()
    server.close()
  })

  it('reads a small answer', async () => {
    expect(await fetchText(development, `${base}/ok`)).toBe('<EntityDescriptor/>')
  })

  it('refuses an internal address outside development, before connecting', async () => {
    await expect(fetchText(production, `${base}/ok`)).rejects.toMatchObject({
      code: 'invalid_request',
      message: 'The URL must use https.',
    })
    await expect(
      guardedFetch(production)(`https://127.0.0.1:${new URL(base).port}/ok`),
    ).rejects.toThrow('must not point to a loopback, private or link-local address')
  })

  it('follows no redirect', async () => {
    await expect(fetchText(development, `${base}/redirect`)).rejects.toMatchObject({
      message: `Could not fetch ${base}/redirect: it answered HTTP 302.`,
    })
  })

  it('stops reading past the size limit, declared or not', async () => {
    const policy = { development: true, maxBytes: 1024 * 1024 }
    await expect(fetchText(policy, `${base}/big`)).rejects.toMatchObject({
      message: `Could not fetch ${base}/big: the answer is larger than 1048576 bytes.`,
    })
    await expect(fetchText(policy, `${base}/declared-big`)).rejects.toMatchObject({
      message: `Could not fetch ${base}/declared-big: the answer is larger than 1048576 bytes.`,
    })
  })

  it('gives up on a server that never answers', async () => {
    await expect(
      fetchText({ development: true, timeoutMs: 300 }, `${base}/hang`),
    ).rejects.toMatchObject({ code: 'invalid_request' })
  })
})
