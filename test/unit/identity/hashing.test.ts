import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.js'
import { createHasher, DEFAULT_ARGON2_PARAMS } from '../../../src/identity/hashing.js'

const hasher = createHasher()
const password = 'violet tram harbour 42'

const codeOf = (reason: unknown) => (reason instanceof AppError ? reason.code : String(reason))

describe('hasher', () => {
  it('hashes with argon2id and the OWASP parameters, and verifies', async () => {
    const encoded = await hasher.hash(password)
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(DEFAULT_ARGON2_PARAMS).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 })
    expect(await hasher.verify(encoded, password)).toEqual({ ok: true, needsRehash: false })
  })

  it('refuses a wrong password', async () => {
    const encoded = await hasher.hash(password)
    expect(await hasher.verify(encoded, 'violet tram harbour 43')).toEqual({
      ok: false,
      needsRehash: false,
    })
  })

  it('verifies an NFKC-equivalent password', async () => {
    const encoded = await hasher.hash('ｆｉｘ ﬁ² café')
    expect(await hasher.verify(encoded, 'fix fi2 cafe\u0301')).toEqual({
      ok: true,
      needsRehash: false,
    })
  })

  it('asks for a rehash when the stored parameters differ from the current ones', async () => {
    const older = await createHasher({ params: { timeCost: 1 } }).hash(password)
    expect(older).toContain('$m=19456,t=1,p=1$')
    expect(await hasher.verify(older, password)).toEqual({ ok: true, needsRehash: true })
    const smaller = await createHasher({ params: { memoryCost: 8192 } }).hash(password)
    expect(await hasher.verify(smaller, password)).toEqual({ ok: true, needsRehash: true })
  })

  it('verifyDummy always resolves false', async () => {
    await expect(hasher.verifyDummy(password)).resolves.toBe(false)
    await expect(hasher.verifyDummy('')).resolves.toBe(false)
  })

  it('refuses a password over 1024 UTF-16 units before taking a slot', async () => {
    const full = createHasher({ maxConcurrent: 1, maxWaiting: 0 })
    const long = 'x'.repeat(1025)
    const running = full.hash(password) // holds the only slot: a queued call would be `busy`
    for (const call of [full.hash(long), full.verify('$argon2id$', long), full.verifyDummy(long)])
      await expect(call.catch(codeOf)).resolves.toBe('invalid_request')
    await running
    expect(await hasher.verify(await hasher.hash('x'.repeat(1024)), 'x'.repeat(1024))).toEqual({
      ok: true,
      needsRehash: false,
    })
  })

  it('runs maxConcurrent, lets maxWaiting wait, and refuses the rest at once', async () => {
    const encoded = await hasher.hash(password)
    const capped = createHasher({ maxConcurrent: 1, maxWaiting: 1 })
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => capped.verify(encoded, password)),
    )
    const refused = results.filter((r) => r.status === 'rejected')
    const verified = results.filter((r) => r.status === 'fulfilled')
    expect(refused.length).toBeGreaterThanOrEqual(3)
    expect(refused.map((r) => codeOf(r.reason))).toEqual(refused.map(() => 'busy'))
    expect(verified.map((r) => r.value)).toEqual(
      verified.map(() => ({ ok: true, needsRehash: false })),
    )
    // The slots are released: the hasher works again once the burst is over.
    expect((await capped.verify(encoded, password)).ok).toBe(true)
  })

  it('fails fast on impossible settings, naming the key', () => {
    expect(() => createHasher({ maxConcurrent: 0 })).toThrow(/maxConcurrent/)
    expect(() => createHasher({ params: { timeCost: 0.5 } })).toThrow(/params\.timeCost/)
  })
})
