import { createHmac } from 'node:crypto'
import { safeEqual } from '../lib/tokens.js'

// The one-click unsubscribe link of an access-request mail (RFC 8058): it is its own
// authentication, since a mail client posts it without cookies or a CSRF token. An HMAC with
// SECRET_KEY over tenant and admin: nobody can forge one for another admin or another store.
// It does not expire (an old mail must still unsubscribe), and it does nothing but unsubscribe.
const LABEL = 'access-request-unsubscribe:v1'

const mac = (secretKey: string, tenantId: string, membershipId: string) =>
  createHmac('sha256', secretKey).update(`${LABEL}:${tenantId}:${membershipId}`).digest('base64url')

export function unsubscribeUrl(
  secretKey: string,
  tenant: { id: string; publicUrl: string },
  membershipId: string,
): string {
  const url = new URL('/access-requests/unsubscribe', tenant.publicUrl)
  url.searchParams.set('m', membershipId)
  url.searchParams.set('s', mac(secretKey, tenant.id, membershipId))
  return url.href
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The admin's membership id when the link's signature holds for this tenant; else undefined. */
export function verifyUnsubscribe(
  secretKey: string,
  tenantId: string,
  query: { m?: unknown; s?: unknown },
): string | undefined {
  const { m, s } = query
  if (typeof m !== 'string' || typeof s !== 'string' || !UUID.test(m) || s.length > 100)
    return undefined
  return safeEqual(s, mac(secretKey, tenantId, m)) ? m : undefined
}
