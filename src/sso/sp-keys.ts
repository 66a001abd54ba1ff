import { generateKeyPair, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type { Db } from '../db/database.js'
import type { SpKeyState } from '../db/schema.js'
import { open, seal } from '../lib/seal.js'
import { selfSignedCertificate } from './sp-certificate.js'
import * as queries from './sp-keys.queries.js'

// The SAML service provider's keys of each directory: they sign our AuthnRequests and open
// the assertions an IdP encrypts for us. Made at first use, sealed with SECRET_KEY under their
// own purpose, rotated with overlap: a 'next' key is published in the SP metadata before it
// signs (IdPs that poll our metadata learn it first), then promoted; the key it replaces stays
// published as 'retired' until its certificate expires.
const PURPOSE = 'sp-key'
const VALIDITY_MS = 2 * 365 * 86_400_000
const newKeyPair = promisify(generateKeyPair)

type Keys = { db: Db; secretKey: string }

export type SpCertificate = { kid: string; state: SpKeyState; certificate: string; notAfter: Date }
export type SpKey = SpCertificate & { privateKey: string }

async function newKey(secretKey: string, directoryId: string, now: Date) {
  // Generated outside any transaction: an RSA key is a fifth of a second of CPU.
  const { privateKey, publicKey } = await newKeyPair('rsa', { modulusLength: 2048 })
  const notAfter = new Date(now.getTime() + VALIDITY_MS)
  const certificate = selfSignedCertificate({
    commonName: `SAML SP ${directoryId}`,
    privateKey,
    publicKey,
    notBefore: new Date(now.getTime() - 300_000), // an IdP whose clock runs a little behind
    notAfter,
  })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return {
    directory_id: directoryId,
    kid: randomBytes(9).toString('base64url'),
    certificate,
    private_sealed: seal(secretKey, PURPOSE, pem),
    not_after: notAfter,
  }
}

/** The directory's valid keys (active first), its first key made if it has none. */
export async function spKeys(ctx: Keys, directoryId: string, now = new Date()): Promise<SpKey[]> {
  let rows = await queries.listSpKeys(ctx.db, directoryId, now)
  if (!rows.some((r) => r.state === 'active')) {
    const key = await newKey(ctx.secretKey, directoryId, now)
    await ctx.db.transaction().execute(async (tx) => {
      await queries.lockSpKeys(tx, directoryId)
      // Another process may have made it meanwhile: the lock makes the second one see it.
      const current = await queries.listSpKeys(tx, directoryId, now)
      if (current.some((r) => r.state === 'active')) return
      await queries.deleteExpiredSpKeys(tx, directoryId, now)
      await queries.insertSpKey(tx, { ...key, state: 'active' })
    })
    rows = await queries.listSpKeys(ctx.db, directoryId, now)
  }
  return rows.map((r) => ({
    kid: r.kid,
    state: r.state,
    certificate: r.certificate,
    notAfter: r.not_after,
    privateKey: open(ctx.secretKey, PURPOSE, r.private_sealed),
  }))
}

/** The key that signs now. */
export async function activeSpKey(ctx: Keys, directoryId: string, now = new Date()) {
  const [active] = await spKeys(ctx, directoryId, now)
  if (active?.state !== 'active') throw new Error(`directory ${directoryId} has no active SP key`)
  return active
}

/** What the SP metadata publishes: every key still valid (active, next, retired). */
export async function spCertificates(
  ctx: Keys,
  directoryId: string,
  now = new Date(),
): Promise<SpCertificate[]> {
  return (await spKeys(ctx, directoryId, now)).map(({ privateKey: _, ...cert }) => cert)
}

/**
 * One step of a rotation. Without a 'next' key: makes one, published from now on but not
 * signing ('staged'). With one: it becomes the active key and the active one is retired, still
 * published until it expires ('promoted'). Run it twice, some time apart, for a full rotation.
 */
export async function rotateSpKey(
  ctx: Keys,
  directoryId: string,
  now = new Date(),
): Promise<{ step: 'staged' | 'promoted'; kid: string }> {
  // A directory rotated before its first sign-in gets its first key too.
  const staging = !(await spKeys(ctx, directoryId, now)).some((k) => k.state === 'next')
  const key = staging ? await newKey(ctx.secretKey, directoryId, now) : undefined
  return ctx.db.transaction().execute(async (tx) => {
    await queries.lockSpKeys(tx, directoryId)
    const next = (await queries.listSpKeys(tx, directoryId, now)).find((r) => r.state === 'next')
    await queries.deleteExpiredSpKeys(tx, directoryId, now)
    if (!next) {
      // (A concurrent rotation promoted the 'next' key this one saw: stage a new one.)
      const fresh = key ?? (await newKey(ctx.secretKey, directoryId, now))
      await queries.insertSpKey(tx, { ...fresh, state: 'next' })
      return { step: 'staged' as const, kid: fresh.kid }
    }
    await queries.setSpKeyState(tx, directoryId, 'active', 'retired')
    await queries.setSpKeyState(tx, directoryId, 'next', 'active')
    return { step: 'promoted' as const, kid: next.kid }
  })
}
