import { randomUUID } from 'node:crypto'
import express, { type Request } from 'express'
import { sql } from 'kysely'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { type Db, dbOn } from '../../src/db/database.js'
import { AppError } from '../../src/errors.js'
import { errorHandler } from '../../src/http/errors.js'
import { clientAddress, rateLimit } from '../../src/http/rate-limit.js'
import { consumeOrThrow, createLimiter, reward } from '../../src/security/limits.js'
import { deleteExpiredRateLimits } from '../../src/security/rate-limits.store.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { onPostgres, useTestDb } from '../support/database.js'

// Windows and blocks are an expiry in the key's row, compared with the database's now(): moving
// the expiry back is the same to the limiter as waiting, without the wait.
const elapse = (db: Db, key: string, ms: number) =>
  sql`update rate_limits set expires_at = expires_at - ${`${ms} milliseconds`}::interval
      where key like ${`%${key}`}`.execute(db)

/** The AppError a consume threw, or undefined when it was allowed. */
const refusal = (promise: Promise<void>) =>
  promise.then(
    () => undefined,
    (err: unknown) => {
      if (err instanceof AppError) return err
      throw err
    },
  )

describe('rate limits in PostgreSQL', () => {
  const t = useTestDb()

  it('allows the configured points, then refuses with a retry delay', async () => {
    const limiter = createLimiter(t.db, { name: 'login', points: 3, durationSeconds: 60 })
    const key = randomUUID()
    for (let i = 0; i < 3; i++) await consumeOrThrow(limiter, key)

    const err = await refusal(consumeOrThrow(limiter, key))
    expect(err?.code).toBe('rate_limited')
    expect(err?.message).toBe('Too many attempts. Please wait a moment and try again.')
    const { retryAfterSeconds } = err?.details as { retryAfterSeconds: number }
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(59)
    expect(retryAfterSeconds).toBeLessThanOrEqual(60)
    expect(await refusal(consumeOrThrow(limiter, randomUUID()))).toBeUndefined()
  })

  it('starts a fresh window once the old one has expired', async () => {
    const limiter = createLimiter(t.db, { name: 'window', points: 2, durationSeconds: 1 })
    const key = randomUUID()
    await consumeOrThrow(limiter, key)
    await consumeOrThrow(limiter, key)
    expect((await refusal(consumeOrThrow(limiter, key)))?.details).toEqual({ retryAfterSeconds: 1 })

    await elapse(t.db, key, 1_100)
    expect(await refusal(consumeOrThrow(limiter, key))).toBeUndefined()
    expect(await refusal(consumeOrThrow(limiter, key))).toBeUndefined()
    expect(await refusal(consumeOrThrow(limiter, key))).toBeDefined()
  })

  it('blocks for blockSeconds once the limit is crossed, beyond the window', async () => {
    const limiter = createLimiter(t.db, {
      name: 'blocking',
      points: 1,
      durationSeconds: 1,
      blockSeconds: 30,
    })
    const key = randomUUID()
    await consumeOrThrow(limiter, key)
    expect((await refusal(consumeOrThrow(limiter, key)))?.details).toEqual({
      retryAfterSeconds: 30,
    })

    await elapse(t.db, key, 1_100)
    const err = await refusal(consumeOrThrow(limiter, key))
    expect((err?.details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(25)
  })

  it('forgets a key on reward', async () => {
    const limiter = createLimiter(t.db, { name: 'reward', points: 1, durationSeconds: 60 })
    const key = randomUUID()
    await consumeOrThrow(limiter, key)
    await reward(limiter, key)
    expect(await refusal(consumeOrThrow(limiter, key))).toBeUndefined()
  })

  it('keeps limiters with different names apart', async () => {
    const key = randomUUID()
    const a = createLimiter(t.db, { name: 'a', points: 1, durationSeconds: 60 })
    const b = createLimiter(t.db, { name: 'b', points: 1, durationSeconds: 60 })
    await consumeOrThrow(a, key)
    expect(await refusal(consumeOrThrow(b, key))).toBeUndefined()
    expect(await refusal(consumeOrThrow(a, key))).toBeDefined()
  })

  it('takes keys of any length (an email pasted by an attacker)', async () => {
    const limiter = createLimiter(t.db, { name: 'long', points: 1, durationSeconds: 60 })
    const key = `${'x'.repeat(100_000)}@example.com`
    await consumeOrThrow(limiter, key)
    expect(await refusal(consumeOrThrow(limiter, key))).toBeDefined()
  })

  it('refuses a limiter configured with nonsense, naming every problem', () => {
    expect(() =>
      createLimiter(t.db, { name: 'Bad Name', points: 0, durationSeconds: 0.5 }),
    ).toThrow(/name must be.*points must be.*durationSeconds must be/)
  })

  it('deletes expired rows only', async () => {
    const limiter = createLimiter(t.db, { name: 'cleanup', points: 5, durationSeconds: 1 })
    const expiring = randomUUID()
    await consumeOrThrow(limiter, expiring)
    const lasting = createLimiter(t.db, { name: 'cleanup-long', points: 5, durationSeconds: 600 })
    await consumeOrThrow(lasting, expiring)

    await deleteExpiredRateLimits(t.db, new Date(Date.now() + 5_000))
    const keys = await t.db
      .selectFrom('rate_limits')
      .select('key')
      .where('key', 'like', `%${expiring}`)
      .execute()
    expect(keys.map((k) => k.key)).toEqual([`cleanup-long:${expiring}`])
  })

  it('answers 429 per client address and tenant through the middleware', async () => {
    const limiter = createLimiter(t.db, { name: 'mw', points: 2, durationSeconds: 60 })
    const tenants: Record<string, Pick<Tenant, 'id'>> = {
      a: { id: randomUUID() },
      b: { id: randomUUID() },
    }
    const app = express()
    app.use((req, res, next) => {
      res.locals.tenant = tenants[req.get('x-tenant') ?? 'a'] as Tenant
      next()
    })
    app.post('/login', rateLimit(limiter), (_req, res) => {
      res.sendStatus(204)
    })
    app.use(errorHandler)
    const post = (tenant: string) =>
      supertest(app).post('/login').set('x-tenant', tenant).set('Accept', 'application/json')

    expect((await post('a')).status).toBe(204)
    expect((await post('a')).status).toBe(204)
    const refused = await post('a')
    expect(refused.status).toBe(429)
    expect(refused.body).toMatchObject({
      error: 'rate_limited',
      details: { retryAfterSeconds: 60 },
    })
    expect((await post('b')).status).toBe(204)
  })

  describe.skipIf(!onPostgres())('across gateway processes', () => {
    it('lets exactly 10 of 40 concurrent consumes through two pools', async () => {
      const pools = [dbOn({ url: t.url ?? '' }), dbOn({ url: t.url ?? '' })]
      try {
        const limiters = pools.map((db) =>
          createLimiter(db, { name: 'race', points: 10, durationSeconds: 60 }),
        )
        const key = randomUUID()
        const outcomes = await Promise.all(
          Array.from({ length: 40 }, (_, i) => refusal(consumeOrThrow(limiters[i % 2]!, key))),
        )
        expect(outcomes.filter((o) => o === undefined)).toHaveLength(10)
        expect(outcomes.filter((o) => o?.code === 'rate_limited')).toHaveLength(30)
      } finally {
        await Promise.all(pools.map((db) => db.destroy()))
      }
    })
  })
})

describe('clientAddress', () => {
  const address = (ip: string) => clientAddress({ ip, socket: {} } as Request)

  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff::9', '2001:db8:1:2::/64'],
    ['2001:0DB8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('counts %s as %s', (ip, expected) => {
    expect(address(ip)).toBe(expected)
  })
})
