import { availableParallelism } from 'node:os'
import { type Algorithm, hash, parseOptions, type Version, verify } from '@node-rs/argon2'
import { AppError } from '../errors.js'
import { parseImportedHash, verifyImportedHash } from './imported-hashes.js'
import { normalizePassword } from './password-policy.js'

export type Argon2Params = { memoryCost: number; timeCost: number; parallelism: number }

export type Hasher = {
  hash(password: string): Promise<string>
  verify(encoded: string, password: string): Promise<{ ok: boolean; needsRehash: boolean }>
  verifyDummy(password: string): Promise<false>
}

// OWASP Password Storage Cheat Sheet, argon2id: 19 MiB, 2 passes, 1 lane.
export const DEFAULT_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
})

// `Algorithm` and `Version` are ambient const enums, which verbatimModuleSyntax forbids reading
// as values (TS2748); these are their declared numbers.
const ARGON2ID = 2 as Algorithm
const VERSION_0x13 = 1 as Version

// Policies cap passwords at 1024 characters; refusing longer input before normalising or
// hashing bounds the work an anonymous request can cause.
const MAX_PASSWORD_UNITS = 1024

const ARGON2_PREFIX = /^\$argon2(id|i|d)\$/

// A password nobody is asked to type: verifyDummy only needs a hash with the current cost.
const DUMMY_PASSWORD = 'verify-dummy: an unknown email costs as much as a known one'

export function createHasher(
  options: { maxConcurrent?: number; maxWaiting?: number; params?: Partial<Argon2Params> } = {},
): Hasher {
  const params = { ...DEFAULT_ARGON2_PARAMS, ...options.params }
  const maxConcurrent = options.maxConcurrent ?? availableParallelism()
  const maxWaiting = options.maxWaiting ?? 2 * availableParallelism()
  for (const [key, value, min] of [
    ['params.memoryCost', params.memoryCost, 8 * params.parallelism],
    ['params.timeCost', params.timeCost, 1],
    ['params.parallelism', params.parallelism, 1],
    ['maxConcurrent', maxConcurrent, 1],
    ['maxWaiting', maxWaiting, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min)
      throw new Error(`createHasher: ${key} must be an integer >= ${min}, got ${value}`)
  }

  const run = createSlots(maxConcurrent, maxWaiting)
  const hashOptions = { algorithm: ARGON2ID, ...params }
  let dummyHash: Promise<string> | undefined

  const needsRehash = (encoded: string): boolean => {
    const used = parseOptions(encoded)
    return (
      used.algorithm !== ARGON2ID ||
      used.version !== VERSION_0x13 ||
      used.memoryCost !== params.memoryCost ||
      used.timeCost !== params.timeCost ||
      used.parallelism !== params.parallelism
    )
  }

  return {
    async hash(password) {
      const normalized = prepare(password)
      return run(() => hash(normalized, hashOptions))
    },
    async verify(encoded, password) {
      const normalized = prepare(password)
      // argon2 strings are ours or were bounded when imported: @node-rs/argon2 reads them (and
      // our own parameters may exceed the import bounds). Any other format is parsed strictly.
      const format = ARGON2_PREFIX.test(encoded)
        ? ({ ok: true, parsed: { kind: 'argon2' } } as const)
        : parseImportedHash(encoded)
      // Not a format we verify: no password opens it.
      if (!format.ok) return { ok: false, needsRehash: false }
      const { parsed } = format
      const stale = parsed.kind !== 'argon2' || needsRehash(encoded)
      // Our own hashes are of the normalised password; a hash made by another system is most
      // likely of the password as typed, so a foreign one is tried both ways.
      const candidates = stale && normalized !== password ? [normalized, password] : [normalized]
      for (const candidate of candidates) {
        const ok = await run(() =>
          parsed.kind === 'argon2'
            ? verify(encoded, candidate)
            : verifyImportedHash(encoded, parsed, candidate),
        )
        // Only a verified password can be rehashed, so the flag is meaningless otherwise. Any
        // format but argon2id with our parameters is stored anew (credentials.ts).
        if (ok) return { ok, needsRehash: stale }
      }
      return { ok: false, needsRehash: false }
    },
    async verifyDummy(password) {
      const normalized = prepare(password)
      await run(async () => {
        dummyHash ??= hash(DUMMY_PASSWORD, hashOptions)
        return verify(await dummyHash, normalized)
      })
      return false
    },
  }
}

function prepare(password: string): string {
  if (password.length > MAX_PASSWORD_UNITS)
    throw new AppError('invalid_request', 'The password is too long.')
  return normalizePassword(password)
}

/**
 * Runs at most `maxConcurrent` tasks, lets `maxWaiting` more wait, and refuses the rest at once:
 * argon2 holds ~19 MiB and a core per verification, so an unbounded queue under a login flood
 * would only grow memory and latency until every waiting request timed out anyway.
 */
function createSlots(maxConcurrent: number, maxWaiting: number) {
  let running = 0
  const waiting: (() => void)[] = []

  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running < maxConcurrent) running++
    else if (waiting.length < maxWaiting) await new Promise<void>((go) => waiting.push(go))
    else throw new AppError('busy', 'The service is busy. Please try again in a moment.')
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      // Hand the slot straight to the next waiter so a newcomer cannot overtake it.
      if (next) next()
      else running--
    }
  }
}
