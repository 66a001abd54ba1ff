import { createRequire } from 'node:module'
import { type QueryCreator, sql } from 'kysely'
import {
  RateLimiterRes,
  type RateLimiterStoreAbstract as StoreAbstractType,
} from 'rate-limiter-flexible'
import type { Db } from '../db/database.js'
import type { Database } from '../db/schema.js'

// rate-limiter-flexible 11.4 declares RateLimiterStoreAbstract in its types and documents it as the
// base of every store, but its index does not export it at runtime: load it from its own file.
const require = createRequire(import.meta.url)
const RateLimiterStoreAbstract: typeof StoreAbstractType = require('rate-limiter-flexible/lib/RateLimiterStoreAbstract.js')

export { RateLimiterRes }

export type RateLimitsStoreOptions = {
  keyPrefix: string
  points: number
  durationSeconds: number
  blockSeconds?: number
}

export type StoredCount = { points: number; ms_before_next: number }

// Expiry is decided by the database clock alone, so gateway processes whose clocks drift still
// agree on when a window ends. A duration of 0 means "never expires" in rate-limiter-flexible.
const expiryAfter = (msDuration: number) =>
  msDuration > 0
    ? sql<Date>`now() + make_interval(secs => ${msDuration / 1000}::double precision)`
    : sql<Date>`'infinity'::timestamptz`

const msBeforeNext = sql<number>`case when isfinite(rate_limits.expires_at)
  then greatest(0, ceil(extract(epoch from rate_limits.expires_at - now()) * 1000))::double precision
  else -1 end`

/**
 * rate-limiter-flexible over the `rate_limits` table: one atomic upsert per consume, so a limit
 * holds across every gateway process (PostgreSQL) and works the same on PGlite.
 */
export class RateLimitsStore extends RateLimiterStoreAbstract {
  readonly #db: Db

  constructor(db: Db, options: RateLimitsStoreOptions) {
    super({
      storeClient: db,
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.durationSeconds,
      blockDuration: options.blockSeconds ?? 0,
    })
    this.#db = db
  }

  /** Adds `points` to the key's window, or starts a new window when the old one has expired. */
  async _upsert(
    rlKey: string,
    points: number,
    msDuration: number,
    forceExpire = false,
  ): Promise<StoredCount> {
    // forceExpire (block, set): overwrite both, whatever the current window holds.
    const query = forceExpire
      ? this.#db
          .insertInto('rate_limits')
          .values({ key: rlKey, points, expires_at: expiryAfter(msDuration) })
          .onConflict((oc) =>
            oc.column('key').doUpdateSet((eb) => ({
              points: eb.ref('excluded.points'),
              expires_at: eb.ref('excluded.expires_at'),
            })),
          )
      : addPoints(this.#db, [{ key: rlKey, points, msDuration }])
    return query.returning(['points', msBeforeNext.as('ms_before_next')]).executeTakeFirstOrThrow()
  }

  async _get(rlKey: string): Promise<StoredCount | null> {
    const row = await this.#db
      .selectFrom('rate_limits')
      .select(['points', msBeforeNext.as('ms_before_next')])
      .where('key', '=', rlKey)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst()
    return row ?? null
  }

  async _delete(rlKey: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('rate_limits')
      .where('key', '=', rlKey)
      .executeTakeFirst()
    return result.numDeletedRows > 0n
  }

  // Same reading as the library's RateLimiterPostgres.
  _getRateLimiterRes(_rlKey: string, changedPoints: number, row: StoredCount): RateLimiterRes {
    const isFirstInDuration = changedPoints === row.points
    const consumedPoints = isFirstInDuration ? changedPoints : row.points
    return new RateLimiterRes(
      Math.max(this.points - consumedPoints, 0),
      row.ms_before_next,
      consumedPoints,
      isFirstInDuration,
    )
  }
}

/** For the cleanup job: rows whose window ended before `now`. */
export async function deleteExpiredRateLimits(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('rate_limits')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * Adds points to each key's window (a new window where the old one has expired), several keys
 * in one atomic upsert: a statement of its own, or a part of a larger one (a sign-in's failure).
 * The keys must differ (one row may be updated once per statement).
 */
export function addPoints(
  db: QueryCreator<Database>,
  rows: { key: string; points: number; msDuration: number }[],
) {
  return db
    .insertInto('rate_limits')
    .values(
      rows.map((r) => ({ key: r.key, points: r.points, expires_at: expiryAfter(r.msDuration) })),
    )
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => {
        const expired = eb('rate_limits.expires_at', '<=', sql<Date>`now()`)
        return {
          points: eb
            .case()
            .when(expired)
            .then(eb.ref('excluded.points'))
            .else(eb('rate_limits.points', '+', eb.ref('excluded.points')))
            .end(),
          expires_at: eb
            .case()
            .when(expired)
            .then(eb.ref('excluded.expires_at'))
            .else(eb.ref('rate_limits.expires_at'))
            .end(),
        }
      }),
    )
}

/** A live count as a sign-in reads it beside the account (migration 20261202_1400). */
export type StoredCountRow = StoredCount & { key: string }
