import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** 256 random bits, base64url (43 characters): invitation, reset, session and API-key secrets. */
export const newToken = (): string => randomBytes(32).toString('base64url')

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** Only this digest is stored; a 256-bit random token needs no salt and no slow hash. */
export const hashToken = (token: string): Uint8Array =>
  createHash('sha256').update(token, 'utf8').digest()

/** Constant-time comparison of two secrets of any length (both are hashed to equal lengths first). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(
    createHash('sha256').update(a).digest(),
    createHash('sha256').update(b).digest(),
  )
}
