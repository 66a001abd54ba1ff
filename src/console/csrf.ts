import { createHmac } from 'node:crypto'
import { safeEqual } from '../lib/tokens.js'

// The console's CSRF token: a MAC of the session's id hash, so it lives exactly as long as the
// session, needs no storage, and one session's token opens no other. The page hands it to its
// script in a meta tag; the script sends it in X-CSRF-Token, which a cross-site form cannot set
// and a cross-site fetch cannot send without a CORS preflight we never answer.
export const CSRF_HEADER = 'x-csrf-token'

export const consoleCsrfToken = (secretKey: string, sessionIdHash: Uint8Array): string =>
  createHmac('sha256', secretKey)
    .update(`console-csrf:${Buffer.from(sessionIdHash).toString('hex')}`)
    .digest('base64url')

export const isConsoleCsrfToken = (
  secretKey: string,
  sessionIdHash: Uint8Array,
  value: string | undefined,
): boolean =>
  typeof value === 'string' && safeEqual(value, consoleCsrfToken(secretKey, sessionIdHash))

/**
 * The browser's own word on where the request comes from: a foreign Origin, or Sec-Fetch-Site
 * other than same-origin, is refused even with a valid token (a token leaked to another origin
 * stays useless there). Absent headers (old browsers, scripts) leave the token to decide.
 */
export function isSameOrigin(
  origin: string | undefined,
  fetchSite: string | undefined,
  expected: string,
): boolean {
  if (origin !== undefined && origin !== expected) return false
  return fetchSite === undefined || fetchSite === 'same-origin'
}
