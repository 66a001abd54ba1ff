import { isIPv4, isIPv6 } from 'node:net'
import type { Request, RequestHandler, Response } from 'express'
import { consumeOrThrow, type Limiter } from '../security/limits.js'

/** Consumes one point, by default per client address and tenant; past the limit: 429. */
export function rateLimit(
  limiter: Limiter,
  keyOf: (req: Request, res: Response) => string = clientAddress,
): RequestHandler {
  return async (req, res, next) => {
    await consumeOrThrow(limiter, tenantKey(res, keyOf(req, res)))
    next()
  }
}

/** Prefixes the tenant's id when the request has one, so tenants never share a counter. */
export const tenantKey = (res: Response, key: string): string =>
  res.locals.tenant ? `${res.locals.tenant.id}:${key}` : key

/**
 * The client's address as Express resolved it (`trust proxy` is set explicitly by the app).
 * IPv6 clients count per /64: one home or server usually holds a whole /64, so counting single
 * addresses would let it rotate through 2^64 of them.
 */
export function clientAddress(req: Request): string {
  const ip = (req.ip ?? req.socket.remoteAddress ?? 'unknown').split('%')[0] ?? ''
  const mapped = ip.toLowerCase().startsWith('::ffff:') ? ip.slice(7) : ip
  if (isIPv4(mapped)) return mapped
  if (!isIPv6(ip)) return ip
  const [head = '', tail] = ip.toLowerCase().split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}
