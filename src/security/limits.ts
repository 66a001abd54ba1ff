import { createHash } from 'node:crypto'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { RateLimiterRes, RateLimitsStore, type StoredCountRow } from './rate-limits.store.js'

// Limits as domain functions use them (sign-in, password reset): no HTTP in here; the
// per-request middleware and the client address are in http/rate-limit.ts.

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

/** A limiter and the key it counts (as given to consumeOrThrow: scoped, not yet prefixed). */
export type LimitCheck = readonly [Limiter, string]

/** The stored keys of these checks, for a statement that reads their counts (liveCounts). */
export const storedKeys = (checks: readonly LimitCheck[]): string[] =>
  checks.map(([limiter, key]) => limiter.getKey(storedKey(key)))

/**
 * For limits that count failures only (login), on counts read beforehand (liveCounts, in the
 * statement that reads the account: this runs on every login): refuses when any key has used
 * up its points, without spending one. Says which keys have a count at all, so success can
 * skip forgetting them. Concurrent requests may pass the check together: the overshoot is
 * bounded by the hashing slots, and each failure among them is still counted.
 */
export function refuseWhenExhausted(
  checks: readonly LimitCheck[],
  counts: readonly StoredCountRow[],
): boolean[] {
  const byKey = new Map(counts.map((c) => [c.key, c]))
  const keys = storedKeys(checks)
  let retryAfterMs = 0
  checks.forEach(([limiter], i) => {
    const count = byKey.get(keys[i] ?? '')
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
  return keys.map((key) => byKey.has(key))
}

/**
 * One failure for each check, as rows for addPoints (all counted in one statement). Only for
 * limiters without a block: a block is rate-limiter-flexible's to write, one consume at a time.
 */
export function failurePoints(checks: readonly LimitCheck[]) {
  return checks.map(([limiter, key]) => {
    if (limiter.blockDuration > 0)
      throw new Error(`failurePoints: limiter "${limiter.keyPrefix}" blocks; consume it instead`)
    return { key: limiter.getKey(storedKey(key)), points: 1, msDuration: limiter.duration * 1000 }
  })
}
