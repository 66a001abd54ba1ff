import type { Principal as KeyPrincipal } from './api-keys.js'

/**
 * Who calls /admin/api/v1: a machine with an API key, or an admin's browser with the console's
 * session. `tenantId` is the tenant the caller may act on, null for the platform (every tenant).
 * `keyId?: never` keeps code written for keys alone compiling; it reads undefined for a session.
 */
export type ApiKeyPrincipal = KeyPrincipal & { kind: 'api_key' }
export type SessionPrincipal = {
  kind: 'session'
  keyId?: never
  tenantId: string | null
  membershipId: string
  userId: string
  email: string
  /** What logs and `invited_by` show: the admin's email. */
  name: string
}
export type AdminPrincipal = ApiKeyPrincipal | SessionPrincipal
