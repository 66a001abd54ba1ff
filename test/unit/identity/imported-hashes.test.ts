import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto'
import { hash as argon2Hash } from '@node-rs/argon2'
import bcrypt from 'bcryptjs'
import { describe, expect, it } from 'vitest'
import { createHasher } from '../../../src/identity/hashing.js'
import { checkImportedHash } from '../../../src/identity/imported-hashes.js'

// Issue 12: hashes moved in from another system are verified at sign-in and replaced by our
// argon2id; anything the gateway cannot verify, or could only verify at a hostile cost, is
// refused with a reason for the import report.

const hasher = createHasher()
const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '')

// Published vectors: OpenBSD's bcrypt tests, the argon2 reference implementation, passlib's
// documentation (scrypt and pbkdf2_sha256, each of "password").
const KNOWN = {
  bcrypt: ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  argon2i: [
    'password',
    '$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA',
  ],
  scrypt: [
    'password',
    '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
  ],
  passlibPbkdf2: [
    'password',
    '$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M',
  ],
} as const

const password = 'harbour lantern 1987'
const salt = randomBytes(16)
const generated = {
  bcrypt2b: bcrypt.hashSync(password, 4),
  scrypt: `$scrypt$ln=10,r=8,p=2$${b64(salt)}$${b64(scryptSync(password, salt, 32, { N: 1024, r: 8, p: 2 }))}`,
  pbkdf2sha256: `$pbkdf2-sha256$i=10000$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 10_000, 32, 'sha256'))}`,
  pbkdf2sha512: `$pbkdf2-sha512$i=5000$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 5000, 64, 'sha512'))}`,
  pbkdf2sha1: `$pbkdf2-sha1$i=2000$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 2000, 20, 'sha1'))}`,
}

describe('checkImportedHash and the sign-in verifier', () => {
  it.each(Object.entries(KNOWN))('verifies the published %s vector', async (_, [pw, encoded]) => {
    expect(checkImportedHash(encoded)).toEqual({ ok: true, hash: encoded })
    expect(await hasher.verify(encoded, pw)).toEqual({ ok: true, needsRehash: true })
    expect(await hasher.verify(encoded, `${pw}!`)).toEqual({ ok: false, needsRehash: false })
  })

  it.each(Object.entries(generated))('verifies a %s hash made here', async (_, encoded) => {
    expect(checkImportedHash(encoded)).toEqual({ ok: true, hash: encoded })
    expect(await hasher.verify(encoded, password)).toEqual({ ok: true, needsRehash: true })
    expect(await hasher.verify(encoded, 'harbour lantern 1988')).toEqual({
      ok: false,
      needsRehash: false,
    })
  })

  it('reads bcrypt $2a$, $2b$ and $2y$ alike', async () => {
    for (const prefix of ['$2a$', '$2y$']) {
      const encoded = generated.bcrypt2b.replace('$2b$', prefix)
      expect(checkImportedHash(encoded).ok).toBe(true)
      expect((await hasher.verify(encoded, password)).ok).toBe(true)
    }
  })

  it('makes argon2i and foreign-parameter argon2id hashes be rehashed, not ours', async () => {
    const options = { memoryCost: 4096, timeCost: 2, parallelism: 1 }
    const argon2i = await argon2Hash(password, { ...options, algorithm: 1 as never })
    expect(argon2i).toMatch(/^\$argon2i\$v=19\$/)
    expect(checkImportedHash(argon2i).ok).toBe(true)
    expect(await hasher.verify(argon2i, password)).toEqual({ ok: true, needsRehash: true })
    const argon2id = await argon2Hash(password, { ...options, algorithm: 2 as never })
    expect(checkImportedHash(argon2id).ok).toBe(true)
    expect(await hasher.verify(argon2id, password)).toEqual({ ok: true, needsRehash: true })
    const ours = await hasher.hash(password)
    expect(checkImportedHash(ours).ok).toBe(true)
    expect(await hasher.verify(ours, password)).toEqual({ ok: true, needsRehash: false })
  })

  it('verifies a foreign hash of a password as typed (not NFKC-normalised)', async () => {
    const typed = 'ｆｉｘ café ﬁne'
    const encoded = `$pbkdf2-sha256$i=1000$${b64(salt)}$${b64(pbkdf2Sync(typed, salt, 1000, 32, 'sha256'))}`
    expect(await hasher.verify(encoded, typed)).toEqual({ ok: true, needsRehash: true })
  })

  const refused: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['plain text', 'hunter2', /Unknown password hash format/],
    ['MD5 crypt', '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/', /Unknown/],
    ['sha512-crypt', '$6$rounds=5000$saltsalt$abc', /Unknown/],
    [
      'argon2d',
      '$argon2d$v=19$m=4096,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA',
      /Unknown/,
    ],
    ['bcrypt $2x$', generated.bcrypt2b.replace('$2b$', '$2x$'), /Unknown/],
    [
      'bcrypt cost 31',
      generated.bcrypt2b.replace('$2b$04$', '$2b$31$'),
      /cost 31 is outside 4\.\.15/,
    ],
    ['bcrypt cost 03', generated.bcrypt2b.replace('$2b$04$', '$2b$03$'), /cost 3 is outside/],
    ['bcrypt truncated', generated.bcrypt2b.slice(0, -1), /Malformed bcrypt/],
    ['argon2 4 GiB', KNOWN.argon2i[1].replace('m=65536', 'm=4194304'), /memory m=4194304/],
    ['argon2 t=1000', KNOWN.argon2i[1].replace('t=2', 't=1000'), /passes t=1000/],
    ['argon2 p=255', KNOWN.argon2i[1].replace('p=1', 'p=255'), /parallelism p=255/],
    [
      'argon2 params reordered',
      KNOWN.argon2i[1].replace('m=65536,t=2', 't=2,m=65536'),
      /Malformed argon2/,
    ],
    ['argon2 version 18', KNOWN.argon2i[1].replace('v=19', 'v=18'), /Malformed argon2/],
    ['argon2 leading zero', KNOWN.argon2i[1].replace('t=2', 't=02'), /Malformed argon2/],
    ['scrypt 1 GiB', KNOWN.scrypt[1].replace('ln=16', 'ln=20'), /1024 MiB/],
    ['scrypt p=64', KNOWN.scrypt[1].replace('ln=16,r=8,p=1', 'ln=16,r=8,p=64'), /2\^22/],
    ['scrypt r=0', KNOWN.scrypt[1].replace('r=8', 'r=0'), /r >= 1/],
    [
      'pbkdf2 huge iterations',
      generated.pbkdf2sha256.replace('i=10000', 'i=900000000'),
      /iterations 900000000/,
    ],
    [
      'pbkdf2 100 iterations',
      generated.pbkdf2sha256.replace('i=10000', 'i=100'),
      /iterations 100 are/,
    ],
    ['pbkdf2-md5', generated.pbkdf2sha256.replace('sha256', 'md5'), /Malformed pbkdf2/],
    ['padded base64', `${generated.pbkdf2sha256}=`, /Malformed pbkdf2/],
    [
      'base64 with stray bits',
      generated.scrypt.replace(/.$/, (c) => (c === 'B' ? 'C' : 'B')),
      /not valid unpadded base64|hash must be/,
    ],
    [
      'a 4-byte salt',
      `$pbkdf2-sha256$i=1000$c2FsdA$${b64(randomBytes(32))}`,
      /salt must be 8 to 64/,
    ],
    [
      'an 8-byte hash',
      `$pbkdf2-sha256$i=1000$${b64(salt)}$${b64(randomBytes(8))}`,
      /hash must be 16 to 64/,
    ],
    ['too long', `$pbkdf2-sha256$i=1000$${'A'.repeat(600)}$AAAA`, /longer than 512/],
  ]
  it.each(refused)('refuses %s with a reason', async (_, encoded, reason) => {
    const result = checkImportedHash(encoded)
    expect(result.ok).toBe(false)
    expect(result.ok ? '' : result.reason).toMatch(reason)
    // And no password opens it at sign-in, whatever is tried.
    if (!encoded.startsWith('$argon2'))
      expect(await hasher.verify(encoded, password)).toEqual({ ok: false, needsRehash: false })
  })
})
