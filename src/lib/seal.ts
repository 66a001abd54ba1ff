import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

// AES-256-GCM with a key derived from SECRET_KEY: signing keys and outbox links at rest.
// Layout: version byte | 12-byte IV | 16-byte tag | ciphertext. The `purpose` is bound as
// associated data, so a value sealed for one use cannot be opened as another.
const VERSION = 1

const keyOf = (secretKey: string) =>
  Buffer.from(hkdfSync('sha256', secretKey, '', 'gateway/seal/v1', 32))

export function seal(secretKey: string, purpose: string, plaintext: string): Uint8Array {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyOf(secretKey), iv).setAAD(Buffer.from(purpose))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body])
}

export function open(secretKey: string, purpose: string, sealed: Uint8Array): string {
  const data = Buffer.from(sealed)
  if (data[0] !== VERSION || data.length < 29) throw new Error('sealed value has an unknown format')
  const decipher = createDecipheriv('aes-256-gcm', keyOf(secretKey), data.subarray(1, 13)).setAAD(
    Buffer.from(purpose),
  )
  decipher.setAuthTag(data.subarray(13, 29))
  return Buffer.concat([decipher.update(data.subarray(29)), decipher.final()]).toString('utf8')
}
