import { describe, expect, it } from 'vitest'
import { groupWrite } from '../../../src/lib/group-write.js'

/** A write whose calls are recorded and finished by hand. */
function manualWrite() {
  const calls: { items: number[]; finish: (err?: Error) => void }[] = []
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ items, finish: (err) => (err ? reject(err) : resolve()) })
    })
  return { calls, write }
}

const settled = async (p: Promise<unknown>) => {
  let state = 'pending'
  p.then(
    () => (state = 'done'),
    () => (state = 'failed'),
  )
  await new Promise((r) => setImmediate(r))
  return state
}

describe('groupWrite', () => {
  it('writes a lone caller at once, and the callers that came meanwhile together after it', async () => {
    const { calls, write } = manualWrite()
    const grouped = groupWrite(write)
    const first = grouped([1])
    expect(calls.map((c) => c.items)).toEqual([[1]])
    const second = grouped([2])
    const third = grouped([3, 4])
    // Queued behind the first write: not written, not done.
    expect(calls).toHaveLength(1)
    expect(await settled(second)).toBe('pending')

    calls[0]!.finish()
    expect(await settled(first)).toBe('done')
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]])
    // Done only once their own group is written.
    expect(await settled(third)).toBe('pending')
    calls[1]!.finish()
    expect(await settled(second)).toBe('done')
    expect(await settled(third)).toBe('done')
  })

  it("fails a failed group's callers only, and goes on with the next group", async () => {
    const { calls, write } = manualWrite()
    const grouped = groupWrite(write)
    const first = grouped([1])
    const second = grouped([2])
    calls[0]!.finish(new Error('connection lost'))
    await expect(first).rejects.toThrow('connection lost')
    calls[1]!.finish()
    await expect(second).resolves.toBeUndefined()
  })

  it('is not stuck after a write that throws instead of rejecting', async () => {
    let fail = true
    const throwing = groupWrite((_items: number[]) => {
      if (fail) throw new Error('bad rows')
      return Promise.resolve()
    })
    await expect(throwing([1])).rejects.toThrow('bad rows')
    fail = false
    await expect(throwing([2])).resolves.toBeUndefined()
  })
})
