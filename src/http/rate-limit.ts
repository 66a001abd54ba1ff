import { createHash } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import type { Request, RequestHandler, Response } from 'express'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { peekCounts, RateLimiterRes, RateLimitsStore } from '../security/rate-limits.store.js'

export type Limiter = RateLimitsStore
export type LimiterOptions = {
  name: string
  points: number
  durationSeconds: number
  blockSeconds?: number
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/
const MAX_KEY = 200

/** A limiter whose counts live in `rate_limits`, shared by every gateway process. */
export function createLimiter(db: Db, options: LimiterOptions): Limiter {
  const { name, points, durationSeconds, blockSeconds = 0 } = options
  const problems = [
    NAME.test(name) ? '' : 'name must be 1 to 40 characters of a-z, 0-9, "_" and "-"',
    isCount(points, 1) ? '' : 'points must be an integer >= 1',
    isCount(durationSeconds, 1) ? '' : 'durationSeconds must be an integer >= 1',
    isCount(blockSeconds, 0) ? '' : 'blockSeconds must be an integer >= 0',
  ].filter(Boolean)
  if (problems.length) throw new Error(`Invalid rate limiter "${name}": ${problems.join('; ')}`)
  return new RateLimitsStore(db, { keyPrefix: name, points, durationSeconds, blockSeconds })
}

const isCount = (n: number, min: number) => Number.isSafeInteger(n) && n >= min

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
 * For limits decided inside a handler (per account, per invitation). The key is used as given
 * (plus the limiter's name): scope it yourself, e.g. with `tenantKey` or by directory.
 */
export async function consumeOrThrow(limiter: Limiter, key: string): Promise<void> {
  try {
    await limiter.consume(storedKey(key))
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err
    const retryAfterSeconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000))
    throw new AppError('rate_limited', 'Too many attempts. Please wait a moment and try again.', {
      details: { retryAfterSeconds },
    })
  }
}

/** Forgets the key's count, e.g. after a successful login. */
export async function reward(limiter: Limiter, key: string): Promise<void> {
  await limiter.delete(storedKey(key))
}

// Keys may carry user input (an email): a long one is hashed so it always fits the primary key.
const storedKey = (key: string) =>
  key.length <= MAX_KEY ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`

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

/**
 * For limits that count failures only (login): refuses when any key has used up its points,
 * without spending one, reading every key in one statement (this runs on every login). Says
 * which keys have a count at all, so success can skip `reward`. Concurrent requests may pass
 * the check together: the overshoot is bounded by the hashing slots, and each failure among
 * them is still counted.
 */
export async function refuseWhenExhausted(db: Db, checks: [Limiter, string][]): Promise<boolean[]> {
  const keys = checks.map(([limiter, key]) => limiter.getKey(storedKey(key)))
  const counts = await peekCounts(db, keys)
  let retryAfterMs = 0
  checks.forEach(([limiter], i) => {
    const count = counts.get(keys[i] ?? '')
    if (count && count.points >= limiter.points && count.ms_before_next !== 0) {
      retryAfterMs = Math.max(
        retryAfterMs,
        count.ms_before_next < 0 ? 3_600_000 : count.ms_before_next,
      )
    }
  })
  if (retryAfterMs > 0) {
    throw new AppError('rate_limited', 'Too many attempts. Please wait a moment and try again.', {
      details: { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) },
    })
  }
  return keys.map((key) => counts.has(key))
}

/** Counts one failure; being already over the limit is no error here. */
export async function countFailure(limiter: Limiter, key: string): Promise<void> {
  await limiter.consume(storedKey(key)).catch((err: unknown) => {
    if (!(err instanceof RateLimiterRes)) throw err
  })
}
