import { afterEach, describe, expect, it } from 'vitest'
import { workerPool } from '../../../src/lib/worker-pool.js'

// The SAML ACS validates responses in these workers (sso/saml.ts): what the pool promises.
type Job = { n: number; die?: boolean; waitMs?: number }
type Result = { doubled: number; thread: number }
const entry = new URL('../fixtures/workers/arithmetic.worker.ts', import.meta.url)
const pools: ReturnType<typeof workerPool<Job, Result>>[] = []
const pool = (size: number) => {
  const made = workerPool<Job, Result>(entry, size)
  pools.push(made)
  return made
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

describe('worker pool', () => {
  it("answers each job with the worker's result, a TypeScript worker started through tsx", async () => {
    const results = await Promise.all([1, 2, 3].map((n) => pool(1).run({ n })))
    expect(results.map((r) => r.doubled)).toEqual([2, 4, 6])
  })

  it("rejects with the worker's error message, and keeps serving", async () => {
    const p = pool(1)
    await expect(p.run({ n: -1 })).rejects.toThrow('negative: -1')
    expect((await p.run({ n: 4 })).doubled).toBe(8)
  })

  it('spreads jobs in flight over its workers', async () => {
    const p = pool(2)
    const results = await Promise.all([1, 2, 3, 4].map((n) => p.run({ n, waitMs: 200 })))
    expect(new Set(results.map((r) => r.thread)).size).toBe(2)
  })

  it('fails the jobs of a worker that dies, and replaces it', async () => {
    const p = pool(1)
    const first = (await p.run({ n: 1 })).thread
    const waiting = p.run({ n: 2, waitMs: 500 })
    await expect(p.run({ n: 0, die: true })).rejects.toThrow('worker exited with 3')
    await expect(waiting).rejects.toThrow('worker exited with 3')
    const after = await p.run({ n: 5 })
    expect(after.doubled).toBe(10)
    expect(after.thread).not.toBe(first)
  })
})
