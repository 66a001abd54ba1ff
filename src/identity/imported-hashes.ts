import { pbkdf2, scrypt, timingSafeEqual } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { workerPool } from '../lib/worker-pool.js'

// Password hashes people bring from another system (issue 12): argon2id/argon2i, bcrypt,
// scrypt and PBKDF2 in the PHC string format (README: "Imported password hashes"). Each is
// parsed strictly and its cost bounded, so an import can neither store a string nothing can
// verify nor make one sign-in cost minutes of CPU or gigabytes of memory. The login path
// (hashing.ts) verifies them and stores our argon2id at the first successful sign-in.

export type ImportedHash =
  | { kind: 'argon2'; variant: 'argon2id' | 'argon2i'; m: number; t: number; p: number }
  | { kind: 'bcrypt'; cost: number }
  | { kind: 'scrypt'; ln: number; r: number; p: number; salt: Buffer; hash: Buffer }
  | { kind: 'pbkdf2'; digest: Pbkdf2Digest; iterations: number; salt: Buffer; hash: Buffer }

type Pbkdf2Digest = 'sha1' | 'sha256' | 'sha512'
type Parsed = { ok: true; parsed: ImportedHash } | { ok: false; reason: string }

/** The bounds, in README's words: what one verification may cost at most. */
export const IMPORT_LIMITS = Object.freeze({
  maxLength: 512,
  saltBytes: [8, 64],
  hashBytes: [16, 64],
  // bcryptjs (pure JS) takes ~0.3 s at cost 12 here and doubles per step: 15 is ~2.5 s.
  bcryptCost: [4, 15],
  // 128·N·r bytes of memory, N·r·p blocks of work (2^22: ~2 s here).
  scryptMaxMemoryBytes: 64 * 1024 * 1024,
  scryptMaxWork: 2 ** 22,
  pbkdf2Iterations: [1_000, 2_000_000],
  // KiB, as in the PHC string; RFC 9106's second recommendation (64 MiB, t=3, p=4) fits.
  argon2MemoryKiB: [8, 65_536],
  argon2Time: [1, 10],
  argon2Parallelism: [1, 16],
} as const)

/**
 * Whether `encoded` is a hash the gateway can verify, within bounds. `hash` is what to store in
 * credentials.password_hash as it is; `reason` is a sentence for the import report.
 */
export function checkImportedHash(
  encoded: string,
): { ok: true; hash: string } | { ok: false; reason: string } {
  const result = parseImportedHash(encoded)
  return result.ok ? { ok: true, hash: encoded } : result
}

export function parseImportedHash(encoded: string): Parsed {
  if (typeof encoded !== 'string' || encoded.length === 0)
    return refuse('The password hash is empty.')
  if (encoded.length > IMPORT_LIMITS.maxLength)
    return refuse(`The password hash is longer than ${IMPORT_LIMITS.maxLength} characters.`)
  if (/^\$argon2(id|i)\$/.test(encoded)) return parseArgon2(encoded)
  if (/^\$2[aby]\$/.test(encoded)) return parseBcrypt(encoded)
  if (encoded.startsWith('$scrypt$')) return parseScrypt(encoded)
  if (encoded.startsWith('$pbkdf2')) return parsePbkdf2(encoded)
  return refuse(
    'Unknown password hash format: expected argon2id, argon2i, bcrypt ($2a$, $2b$, $2y$), scrypt or pbkdf2-sha1/sha256/sha512 in PHC form.',
  )
}

const refuse = (reason: string): Parsed => ({ ok: false, reason })
const inRange = (n: number, [min, max]: readonly [number, number]) => n >= min && n <= max
// Decimal without sign or leading zeros (PHC: "decimal ... no leading zero").
const DEC = '(0|[1-9][0-9]{0,9})'
// PHC B64: the standard alphabet, no padding.
const B64 = '([A-Za-z0-9+/]+)'

function parseArgon2(encoded: string): Parsed {
  const m = new RegExp(
    `^\\$(argon2id|argon2i)(?:\\$v=(16|19))?\\$m=${DEC},t=${DEC},p=${DEC}\\$${B64}\\$${B64}$`,
  ).exec(encoded)
  if (!m) return refuse('Malformed argon2 hash: expected $argon2id$v=19$m=…,t=…,p=…$salt$hash.')
  const [, variant, , mText, tText, pText, salt, hash] = m
  const [mem, t, p] = [Number(mText), Number(tText), Number(pText)]
  const L = IMPORT_LIMITS
  if (!inRange(p, L.argon2Parallelism))
    return refuse(`argon2 parallelism p=${p} is outside ${L.argon2Parallelism.join('..')}.`)
  if (!inRange(mem, L.argon2MemoryKiB) || mem < 8 * p)
    return refuse(
      `argon2 memory m=${mem} KiB is outside ${L.argon2MemoryKiB.join('..')} (and at least 8·p).`,
    )
  if (!inRange(t, L.argon2Time))
    return refuse(`argon2 passes t=${t} are outside ${L.argon2Time.join('..')}.`)
  const bytes = saltAndHash(salt!, hash!)
  if (typeof bytes === 'string') return refuse(bytes)
  return {
    ok: true,
    parsed: { kind: 'argon2', variant: variant as 'argon2id' | 'argon2i', m: mem, t, p },
  }
}

// bcrypt's own base64 (./A-Za-z0-9): 22 characters of salt, 31 of hash.
function parseBcrypt(encoded: string): Parsed {
  const m = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/.exec(encoded)
  if (!m) return refuse('Malformed bcrypt hash: expected $2b$<two-digit cost>$<53 characters>.')
  const cost = Number(m[1])
  if (!inRange(cost, IMPORT_LIMITS.bcryptCost))
    return refuse(`bcrypt cost ${cost} is outside ${IMPORT_LIMITS.bcryptCost.join('..')}.`)
  return { ok: true, parsed: { kind: 'bcrypt', cost } }
}

function parseScrypt(encoded: string): Parsed {
  const m = new RegExp(`^\\$scrypt\\$ln=${DEC},r=${DEC},p=${DEC}\\$${B64}\\$${B64}$`).exec(encoded)
  if (!m) return refuse('Malformed scrypt hash: expected $scrypt$ln=…,r=…,p=…$salt$hash.')
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (ln < 1 || ln > 30 || r < 1 || p < 1)
    return refuse('scrypt parameters must be ln 1..30, r >= 1, p >= 1.')
  const memory = 128 * 2 ** ln * r
  if (memory > IMPORT_LIMITS.scryptMaxMemoryBytes)
    return refuse(
      `scrypt ln=${ln}, r=${r} needs ${memory / 2 ** 20} MiB; at most 64 MiB is verified.`,
    )
  if (2 ** ln * r * p > IMPORT_LIMITS.scryptMaxWork)
    return refuse(`scrypt ln=${ln}, r=${r}, p=${p} costs more than 2^22 blocks (N·r·p) to verify.`)
  const bytes = saltAndHash(m[4]!, m[5]!)
  if (typeof bytes === 'string') return refuse(bytes)
  return { ok: true, parsed: { kind: 'scrypt', ln, r, p, ...bytes } }
}

// PHC: $pbkdf2-sha256$i=N$salt$hash in B64. Also passlib's form, which most PBKDF2 exports
// come in: bare rounds and its "adapted" base64 ('.' for '+'), e.g. $pbkdf2-sha256$29000$….
function parsePbkdf2(encoded: string): Parsed {
  const phc = new RegExp(`^\\$pbkdf2-(sha1|sha256|sha512)\\$i=${DEC}\\$${B64}\\$${B64}$`).exec(
    encoded,
  )
  const passlib =
    /^\$pbkdf2(?:-(sha256|sha512))?\$(0|[1-9][0-9]{0,9})\$([A-Za-z0-9./]+)\$([A-Za-z0-9./]+)$/.exec(
      encoded,
    )
  const m = phc ?? passlib
  if (!m) return refuse('Malformed pbkdf2 hash: expected $pbkdf2-sha256$i=…$salt$hash.')
  const digest = (m[1] ?? 'sha1') as Pbkdf2Digest
  const iterations = Number(m[2])
  const L = IMPORT_LIMITS.pbkdf2Iterations
  if (!inRange(iterations, L))
    return refuse(`pbkdf2 iterations ${iterations} are outside ${L.join('..')}.`)
  const b64 = (text: string) => (phc ? text : text.replaceAll('.', '+'))
  const bytes = saltAndHash(b64(m[3]!), b64(m[4]!))
  if (typeof bytes === 'string') return refuse(bytes)
  return { ok: true, parsed: { kind: 'pbkdf2', digest, iterations, ...bytes } }
}

function saltAndHash(saltText: string, hashText: string): { salt: Buffer; hash: Buffer } | string {
  const salt = decodeB64(saltText)
  const hash = decodeB64(hashText)
  if (!salt || !hash) return 'The salt or hash is not valid unpadded base64.'
  const [sMin, sMax] = IMPORT_LIMITS.saltBytes
  const [hMin, hMax] = IMPORT_LIMITS.hashBytes
  if (!inRange(salt.length, IMPORT_LIMITS.saltBytes))
    return `The salt must be ${sMin} to ${sMax} bytes.`
  if (!inRange(hash.length, IMPORT_LIMITS.hashBytes))
    return `The hash must be ${hMin} to ${hMax} bytes.`
  return { salt, hash }
}

// Node's decoder skips what it does not understand; re-encoding is how a non-canonical string
// (stray bits in the last character, a length no encoder writes) is refused.
function decodeB64(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64').replace(/=+$/, '') === text ? bytes : undefined
}

/**
 * Verifies a non-argon2 imported hash (argon2 stays with @node-rs/argon2 in hashing.ts).
 * scrypt and PBKDF2 run on libuv's thread pool and compare in constant time; bcrypt (pure JS)
 * runs on a worker thread, so the event loop keeps serving meanwhile.
 */
export async function verifyImportedHash(
  encoded: string,
  parsed: Exclude<ImportedHash, { kind: 'argon2' }>,
  password: string,
): Promise<boolean> {
  switch (parsed.kind) {
    case 'bcrypt':
      return bcryptWorkers().run({ hash: encoded, password })
    case 'scrypt': {
      const N = 2 ** parsed.ln
      const derived = await scryptAsync(password, parsed.salt, parsed.hash.length, {
        N,
        r: parsed.r,
        p: parsed.p,
        // Node refuses above 32 MiB by default; the parse bounded 128·N·r to 64 MiB.
        maxmem: 128 * N * parsed.r + 2 ** 20,
      })
      return timingSafeEqual(derived, parsed.hash)
    }
    case 'pbkdf2': {
      const { iterations, salt, hash, digest } = parsed
      const derived = await pbkdf2Async(password, salt, iterations, hash.length, digest)
      return timingSafeEqual(derived, hash)
    }
  }
}

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>
const pbkdf2Async = promisify(pbkdf2)

let bcryptPool:
  ReturnType<typeof workerPool<{ hash: string; password: string }, boolean>> | undefined
const bcryptWorkers = () =>
  (bcryptPool ??= workerPool(
    new URL(`./bcrypt.worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
    availableParallelism(),
  ))
