import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import { Agent, fetch as undiciFetch } from 'undici'
import { AppError } from '../errors.js'

// URLs an admin gives us (a SAML metadata URL, an OIDC issuer) are fetched by the gateway, from
// inside the operator's network: outside development they must be https and must not reach
// loopback, private or link-local addresses (server-side request forgery), checked on the
// addresses the name resolves to when the connection opens, so DNS cannot be switched between
// a check and the fetch. Development (any NODE_ENV but production) allows both, so tests and a
// developer's laptop can use an IdP on 127.0.0.1.

export type FetchPolicy = { development: boolean; timeoutMs?: number; maxBytes?: number }

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_BYTES = 1024 * 1024

const REFUSED = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  REFUSED.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 127], // :: and ::1
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  REFUSED.addSubnet(net, prefix, 'ipv6')

/** Loopback, private, link-local, multicast or otherwise not a public internet address. */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped) return isInternalAddress(mapped)
  const family = isIP(address)
  if (family === 0) return true
  return REFUSED.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/** Why this URL may not be fetched, in words for the admin who gave it; undefined: allowed. */
export function urlProblem(policy: FetchPolicy, url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not a URL'
  }
  if (parsed.username || parsed.password) return 'must not contain a user name or password'
  if (parsed.protocol !== 'https:' && !(policy.development && parsed.protocol === 'http:'))
    return 'must use https'
  if (policy.development) return undefined
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  if (host === 'localhost' || host.endsWith('.localhost'))
    return 'must not point to this machine (localhost)'
  if (isIP(host) && isInternalAddress(host))
    return 'must not point to a loopback, private or link-local address'
  return undefined
}

type Lookup = typeof dnsLookup

/**
 * dns.lookup that fails when the name resolves to an internal address (outside development);
 * `resolve` is the real resolver (a test passes its own).
 */
export function guardedLookup(policy: FetchPolicy, resolve: Lookup = dnsLookup): Lookup {
  const guarded = (
    hostname: string,
    options: LookupAllOptions,
    callback: (
      err: NodeJS.ErrnoException | null,
      addresses: LookupAddress[] | string,
      family?: number,
    ) => void,
  ) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, [])
      const internal = !policy.development && addresses.some((a) => isInternalAddress(a.address))
      if (internal) {
        const refused = Object.assign(
          new Error(`${hostname} resolves to a loopback, private or link-local address`),
          { code: 'EREFUSEDADDRESS' },
        )
        return callback(refused, [])
      }
      if (options.all) return callback(null, addresses)
      const first = addresses[0]
      if (!first)
        return callback(
          Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }),
          [],
        )
      callback(null, first.address, first.family)
    })
  }
  return guarded as unknown as Lookup
}

/** The body, failing as soon as it passes `maxBytes` (a hostile server may send without end). */
function limited(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  let seen = 0
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength
        if (seen > maxBytes)
          controller.error(new Error(`the answer is larger than ${maxBytes} bytes`))
        else controller.enqueue(chunk)
      },
    }),
  )
}

/**
 * fetch() under the policy (openid-client's customFetch takes it as is): the URL rules, the
 * resolved addresses checked at connect time, no redirects followed, a timeout, a body limit.
 */
export function guardedFetch(
  policy: FetchPolicy,
): (url: string | URL, init?: RequestInit) => Promise<Response> {
  const timeoutMs = policy.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxBytes = policy.maxBytes ?? DEFAULT_MAX_BYTES
  const dispatcher = new Agent({
    connect: { lookup: guardedLookup(policy), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  })
  return async (url, init = {}) => {
    const problem = urlProblem(policy, String(url))
    if (problem) throw new TypeError(`${String(url)} ${problem}`)
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    const response = (await undiciFetch(String(url), {
      ...(init as object),
      signal,
      redirect: 'manual',
      dispatcher,
    })) as unknown as Response
    const length = Number(response.headers.get('content-length') ?? 0)
    if (length > maxBytes) {
      await response.body?.cancel()
      throw new TypeError(`the answer is larger than ${maxBytes} bytes`)
    }
    if (!response.body) return response
    return new Response(limited(response.body, maxBytes), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    })
  }
}

/** GET `url` as text under the policy; any failure is one plain-words invalid_request. */
export async function fetchText(policy: FetchPolicy, url: string): Promise<string> {
  const problem = urlProblem(policy, url)
  if (problem) throw new AppError('invalid_request', `The URL ${problem}.`, { details: { url } })
  try {
    const response = await guardedFetch(policy)(url)
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new Error(`it answered HTTP ${response.status}`)
    }
    return await response.text()
  } catch (err) {
    const reason =
      err instanceof Error
        ? err.cause instanceof Error
          ? err.cause.message
          : err.message
        : String(err)
    throw new AppError('invalid_request', `Could not fetch ${url}: ${reason}.`, {
      details: { url },
      cause: err,
    })
  }
}
